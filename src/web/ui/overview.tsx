import { useLayoutEffect, useMemo, useState } from 'preact/hooks';
import type { TaskRow } from '../protocol.js';
import { missionHref, taskHref } from './api.js';
import { Header, NextAction, StateBadge, Uptime } from './common.js';
import { cost, stateRank } from './format.js';
import { type Live, useLive } from './live.js';

const STATES = [
  'waiting-input',
  'crash-loop',
  'running',
  'starting',
  'backoff',
  'rate-limited',
  'stalled',
  'stopping',
  'stopped',
  'failed',
  'succeeded',
  'pending',
];

function sortRows(rows: TaskRow[]): TaskRow[] {
  return rows.sort((a, b) => stateRank(a.state) - stateRank(b.state) || a.name.localeCompare(b.name));
}

export function Overview({ live }: { live: Live }) {
  useLive(live);
  const [state, setState] = useState('all');
  const [search, setSearch] = useState('');
  const all = [...live.tasks.values()];
  const rows = useMemo(
    () =>
      sortRows(
        all.filter(
          (r) => (state === 'all' || r.state === state) && r.name.includes(search.trim().toLowerCase()),
        ),
      ),
    [live.stamp, state, search],
  );
  useLayoutEffect(() => {
    if (live.loaded && document.body.dataset.ready !== 'true') {
      performance.mark('holdfast:rows');
      document.body.dataset.ready = 'true';
    }
  }, [live.loaded]);
  const counts = new Map<string, number>();
  for (const r of all) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return (
    <>
      <Header conn={live.conn} daemon={live.daemon} />
      <main>
        <section class="toolbar">
          <label>
            State{' '}
            <select
              data-testid="filter-state"
              value={state}
              onChange={(e) => setState((e.target as HTMLSelectElement).value)}
            >
              <option value="all">all ({all.length})</option>
              {STATES.map((s) => (
                <option value={s} key={s}>
                  {s} ({counts.get(s) ?? 0})
                </option>
              ))}
            </select>
          </label>
          <input
            data-testid="search"
            type="search"
            placeholder="search by name"
            value={search}
            onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          />
          <span class="summary">
            {[...counts.entries()]
              .sort((a, b) => stateRank(a[0]) - stateRank(b[0]))
              .map(([s, n]) => `${n} ${s}`)
              .join(' · ')}
          </span>
        </section>
        <table data-testid="tasks" class="tasks">
          <thead>
            <tr>
              <th>task</th>
              <th>state</th>
              <th>agent</th>
              <th>last message / output</th>
              <th>uptime</th>
              <th>restarts</th>
              <th>next</th>
              <th>cost</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <Row key={r.name} row={r} live={live} />
            ))}
          </tbody>
        </table>
        {live.loaded && all.length === 0 ? (
          <p class="empty">
            No tasks yet. <code>holdfast run -- &lt;command&gt;</code> starts one.
          </p>
        ) : null}
        {live.missions.length > 0 ? (
          <>
            <h2>Missions</h2>
            <table data-testid="missions" class="missions">
              <thead>
                <tr>
                  <th>mission</th>
                  <th>state</th>
                  <th>milestones</th>
                  <th>reason</th>
                </tr>
              </thead>
              <tbody>
                {live.missions.map((m) => (
                  <tr key={m.name} data-testid="mission-row" data-mission={m.name}>
                    <td>
                      <a href={missionHref(m.name)}>{m.name}</a> <span class="dim">{m.title}</span>
                    </td>
                    <td>
                      <StateBadge state={m.state} />
                    </td>
                    <td>
                      {m.milestonesDone}/{m.milestonesTotal}
                    </td>
                    <td class="dim">{m.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
      </main>
    </>
  );
}

function Row({ row, live }: { row: TaskRow; live: Live }) {
  const agent = row.agent
    ? `${row.agent}${row.model ? ` · ${row.model}` : ''}${row.interactive ? ' · tui' : ''}`
    : '';
  const last =
    row.state === 'waiting-input' && row.question
      ? `asks: ${row.question.tool ?? row.question.kind}${row.question.input ? ` ${row.question.input}` : ''}`
      : (row.lastLine ?? row.reason ?? '');
  return (
    <tr data-testid="task-row" data-task={row.name} data-state={row.state} class={`row-${row.state}`}>
      <td>
        <a href={taskHref(row.name)}>{row.name}</a>
        {row.mission ? <span class="dim"> · {row.mission}</span> : null}
      </td>
      <td data-testid="state">
        <StateBadge state={row.state} />
      </td>
      <td class="dim">{agent}</td>
      <td class="last" title={last}>
        {last}
      </td>
      <td>
        <Uptime row={row} live={live} />
      </td>
      <td class="num">{row.restarts}</td>
      <td>
        <NextAction row={row} live={live} />
      </td>
      <td class="num">{cost(row.costUsd)}</td>
    </tr>
  );
}
