import type { Command } from 'commander';
import * as continuePrompt from './continue-prompt.js';
import * as done from './done.js';
import * as init from './init.js';
import * as pause from './pause.js';
import * as resume from './resume.js';
import * as start from './start.js';
import * as status from './status.js';

/** `holdfast mission …`: one file per subcommand, in the order help lists them. */
const SUBCOMMANDS: readonly { register(mission: Command): void }[] = [
  init,
  status,
  start,
  resume,
  pause,
  continuePrompt,
  done,
];

export function register(program: Command): void {
  const mission = program
    .command('mission')
    .summary('missions: milestones worked by agent sessions, one after another, until every gate passes');
  for (const sub of SUBCOMMANDS) sub.register(mission);
}
