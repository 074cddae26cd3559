import type { DaemonStatus, TaskRow } from '../protocol.js';
import { duration, STATE_ICON } from './format.js';
import { type ConnState, type Live, useSecond } from './live.js';

export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <span class={`state state-${state}`} data-testid={testId}>
      <span class="icon" aria-hidden="true">
        {STATE_ICON[state] ?? '·'}
      </span>{' '}
      {state}
    </span>
  );
}

/** A live countdown to the task's next start: `restarts in 4s`, `resumes in 2m10s`. */
export function NextAction({ row, live }: { row: TaskRow; live: Live }) {
  useSecond();
  if (row.nextStartAt === null || row.nextAction === null) return <span data-testid="next" />;
  const left = Date.parse(row.nextStartAt) - live.now();
  const verb = row.nextAction === 'resume' ? 'resumes' : 'restarts';
  return <span data-testid="next">{left > 0 ? `${verb} in ${duration(left, true)}` : `${verb} now`}</span>;
}

export function Uptime({ row, live }: { row: TaskRow; live: Live }) {
  useSecond();
  if (row.startedAt === null) return <span />;
  return <span>{duration(live.now() - Date.parse(row.startedAt))}</span>;
}

export function Header({
  conn,
  daemon,
  title,
}: {
  conn: ConnState;
  daemon: DaemonStatus | null;
  title?: string;
}) {
  return (
    <header>
      <a class="brand" href="/">
        holdfast
      </a>
      {title ? <span class="crumb">/ {title}</span> : null}
      <span class={`conn conn-${conn}`} data-testid="conn" data-state={conn === 'open' ? 'open' : 'closed'}>
        {conn === 'open' ? 'live' : conn === 'connecting' ? 'connecting…' : 'reconnecting…'}
      </span>
      {daemon && !daemon.live ? (
        <div class="banner" data-testid="daemon-banner" role="status">
          No daemon holds the lease ({daemon.why ?? 'none'}): nothing is being supervised right now. Any
          holdfast command starts it again; this page keeps showing the store.
        </div>
      ) : null}
    </header>
  );
}
