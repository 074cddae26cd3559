import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { getJson, taskHref } from './api.js';
import { Header, StateBadge } from './common.js';
import { clock, cost, duration } from './format.js';
import { type Live, useLive } from './live.js';

/** What `holdfast mission status --json` says (src/cli/commands/mission/view.ts), as far as the page shows it. */
interface MissionView {
  name: string;
  title: string;
  state: string;
  reason: string | null;
  phase: string;
  agent: string;
  activity: string | null;
  milestones: {
    n: number;
    title: string;
    slug: string;
    status: string;
    gate: string | null;
    doneAt: string | null;
    doneBy: string | null;
  }[];
  sessions: {
    n: number;
    milestone: string;
    fresh: boolean;
    startedAt: string;
    endedAt: string | null;
    endedHow: string | null;
    gateExit: number | null;
    costUsd: number | null;
  }[];
  checkpoints: number;
  spentMs: number;
  costUsd: number;
  budget: { maxSessions: number | null; maxHours: number | null; maxCostUsd: number | null };
  next: string;
}

export function MissionPage({ live, name }: { live: Live; name: string }) {
  useLive(live);
  const row = live.missions.find((m) => m.name === name);
  const [view, setView] = useState<MissionView | null>(null);
  const [prompt, setPrompt] = useState<string | null>(null);
  const [gate, setGate] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<MissionView>(`/api/missions/${encodeURIComponent(name)}`)
      .then((v) => {
        setView(v);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
    getJson<{ text: string }>(`/api/missions/${encodeURIComponent(name)}/continue-prompt`)
      .then((p) => setPrompt(p.text))
      .catch(() => setPrompt(null));
    // The gate runs as the task <mission>-gate: its last run's output is the gate's verdict.
    getJson<{ text: string }>(`/api/tasks/${encodeURIComponent(`${name}-gate`)}/log`)
      .then((g) => setGate(g.text.split('\n').slice(-40).join('\n')))
      .catch(() => setGate(null));
  }, [name, row?.updatedAt]);
  useLayoutEffect(() => {
    if (view && document.body.dataset.ready !== 'true') {
      performance.mark('holdfast:rows');
      document.body.dataset.ready = 'true';
    }
  }, [view]);
  return (
    <>
      <Header conn={live.conn} daemon={live.daemon} title={`mission ${name}`} />
      <main>
        {error ? <p class="error">{error}</p> : null}
        {view ? (
          <>
            <h1>
              {view.title} <StateBadge state={view.state} testId="mission-state" />
            </h1>
            <p class="dim">
              {view.agent} · phase {view.phase}
              {view.reason ? ` · ${view.reason}` : ''} · agent task{' '}
              <a href={taskHref(view.name)}>{view.name}</a>
            </p>
            <h2>Milestones</h2>
            <table data-testid="milestones">
              <thead>
                <tr>
                  <th>#</th>
                  <th>milestone</th>
                  <th>status</th>
                  <th>gate</th>
                  <th>done</th>
                </tr>
              </thead>
              <tbody>
                {view.milestones.map((m) => (
                  <tr key={m.n} class={`ms-${m.status}`}>
                    <td class="num">{m.n}</td>
                    <td>{m.title}</td>
                    <td>
                      <StateBadge state={m.status} />
                    </td>
                    <td>
                      <code>{m.gate ?? ''}</code>
                    </td>
                    <td class="dim">{m.doneAt ? `${clock(m.doneAt)} by ${m.doneBy ?? '?'}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Sessions</h2>
            <table data-testid="sessions">
              <thead>
                <tr>
                  <th>#</th>
                  <th>milestone</th>
                  <th>started</th>
                  <th>ended</th>
                  <th>how</th>
                  <th>gate exit</th>
                  <th>cost</th>
                </tr>
              </thead>
              <tbody>
                {view.sessions.map((s) => (
                  <tr key={s.n}>
                    <td class="num">{s.n}</td>
                    <td>
                      {s.milestone}
                      {s.fresh ? <span class="dim"> (fresh)</span> : null}
                    </td>
                    <td>{clock(s.startedAt)}</td>
                    <td>{clock(s.endedAt)}</td>
                    <td>{s.endedHow ?? (s.endedAt ? '' : 'running')}</td>
                    <td class="num">{s.gateExit ?? ''}</td>
                    <td class="num">{cost(s.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Next</h2>
            <div data-testid="mission-next">
              <p>{view.next}</p>
              {gate ? (
                <details open>
                  <summary>the gate's output</summary>
                  <pre class="log">{gate}</pre>
                </details>
              ) : null}
              {prompt ? (
                <details>
                  <summary>the next continuation prompt</summary>
                  <pre class="log">{prompt}</pre>
                </details>
              ) : null}
            </div>
            <h2>Budget</h2>
            <p data-testid="budget">
              sessions {view.sessions.length}
              {view.budget.maxSessions !== null ? ` of ${view.budget.maxSessions}` : ''} · time{' '}
              {duration(view.spentMs)}
              {view.budget.maxHours !== null ? ` of ${view.budget.maxHours}h` : ''} · cost{' '}
              {cost(view.costUsd)}
              {view.budget.maxCostUsd !== null ? ` of $${view.budget.maxCostUsd}` : ''} · {view.checkpoints}{' '}
              checkpoints
            </p>
          </>
        ) : null}
      </main>
    </>
  );
}
