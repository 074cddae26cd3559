import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { TaskView } from '../../core/view.js';
import { DIED_STATES, recoveryReport } from '../../supervisor/recover.js';
import { action } from '../action.js';
import { ageText, commandText, exitText, stateText, table } from '../format.js';
import { renderTranscript } from '../transcript.js';
import { viewOf } from '../views.js';
import { missionNextMilestone, renderRecovery } from './recover.js';

export function register(program: Command): void {
  program
    .command('status')
    .summary('one task in full, with every run')
    .argument('<task>', 'task name')
    .option('--json', 'print the task object')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        await ctx.refresh();
        const task = ctx.task(name!);
        const view = viewOf(ctx, task);
        // A task that died gets its recovery report too: what it was doing and how it comes back.
        const recovery = DIED_STATES.has(task.state)
          ? await recoveryReport(ctx.rt, task, missionNextMilestone(ctx, task.spec.mission), (raw) =>
              renderTranscript(task, raw, ctx.rt.now()),
            )
          : null;
        ctx.out.result(recovery ? { ...view, recovery } : view, () =>
          [renderStatus(view, ctx.rt.now()), ...(recovery ? ['', renderRecovery(recovery)] : [])].join('\n'),
        );
        return 0;
      }),
    );
}

export function renderStatus(v: TaskView, now: number): string {
  const lines: [string, string][] = [
    ['name', v.name],
    ['state', `${stateText(v.state)}${v.reason ? ` (${v.reason})` : ''}`],
    ['desired', v.desired],
    [
      v.agent ? 'agent' : 'command',
      v.agent ? `${v.agent}${v.sessionId ? ` session ${v.sessionId}` : ''}` : commandText(v.command),
    ],
    ['cwd', v.cwd],
    ['restart', `${v.restart}, ${v.restarts} restart${v.restarts === 1 ? '' : 's'} so far`],
    ['pid', v.pid === null ? '-' : String(v.pid)],
    ['uptime', v.uptimeMs === null ? '-' : formatDuration(v.uptimeMs)],
    ['last exit', exitText(v)],
    ['last output', ageText(v.lastOutputAt, now)],
    ['created', v.createdAt],
  ];
  if (v.nextStartAt)
    lines.push(['next start', `${v.nextStartAt} (in ${formatDuration(Date.parse(v.nextStartAt) - now)})`]);
  if (v.limitResetsAt) lines.push(['limit resets', v.limitResetsAt]);
  for (const key of ['lastMessage', 'turns', 'costUsd'] as const) {
    if (v.info[key] !== undefined && v.info[key] !== null) lines.push([key, String(v.info[key])]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  const head = lines.map(([k, val]) => `${k.padEnd(width)}  ${val}`).join('\n');
  const runs = table(
    ['RUN', 'CAUSE', 'STARTED', 'ENDED', 'EXIT', 'LOG'],
    v.runs.map((r) => [
      r.n,
      r.cause,
      r.startedAt,
      r.endedAt ?? '-',
      exitText(r) + (r.reason ? ` (${r.reason})` : ''),
      r.log,
    ]),
  );
  return `${head}\n\n${runs}`;
}
