/** The page's entry: which page the server said (`#app`'s data), on one live connection. */
import { render } from 'preact';
import { Live } from './live.js';
import { MissionPage } from './mission.js';
import { Overview } from './overview.js';
import { TaskPage } from './task.js';

const app = document.getElementById('app')!;
const page = app.dataset.page ?? 'overview';
const name = app.dataset.name ?? '';
const live = new Live(page === 'task' ? name : null);
live.connect();
render(
  page === 'task' ? (
    <TaskPage live={live} name={name} />
  ) : page === 'mission' ? (
    <MissionPage live={live} name={name} />
  ) : (
    <Overview live={live} />
  ),
  app,
);
