import type { Command } from 'commander';
import { oneLine } from '../../agents/json-lines.js';
import { formatDuration } from '../../core/duration.js';
import { recoveryReport } from '../../supervisor/recover.js';
import type { QuestionView, TaskView } from '../../views/task.js';
import { DIED_STATES } from '../../views/task.js';
import { viewOf } from '../../views/tasks.js';
import { action } from '../action.js';
import { ageText, commandText, exitText, inputsText, stateText, table } from '../format.js';
import { isoClockText, isoWhenText, moneyText } from '../human.js';
import { renderTranscript } from '../transcript.js';
import { waitingHint } from '../waiting.js';
import { activityText } from './ls.js';
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
        const view = viewOf(ctx.rt, task);
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

/** How much of a prompt `status` shows; `log --prompt` and `--json` have all of it. */
const PROMPT_SHOWN = 200;

/** The agent's summary fields, under words people use, each shown as a person reads it. */
const INFO_LINES: readonly [string, string, (value: unknown) => string][] = [
  ['lastMessage', 'last message', (m) => oneLine(String(m))],
  ['turns', 'turns', String],
  ['costUsd', 'cost', (c) => (typeof c === 'number' ? moneyText(c) : String(c))],
];

/** The prompt's first characters on one line, `…` when there is more. */
function promptText(prompt: string): string {
  const text = oneLine(prompt);
  return text.length > PROMPT_SHOWN ? `${text.slice(0, PROMPT_SHOWN)}…` : text;
}

/** `permission: Bash — npm test (asked 5s ago)`, `trust: this folder (asked 1m ago)`. */
function questionText(q: QuestionView, now: number): string {
  const what = q.kind === 'trust' ? 'the folder' : [q.tool, q.input].filter(Boolean).join(' — ') || '-';
  return `${q.kind}: ${oneLine(what, 160)} (asked ${ageText(q.askedAt, now)})`;
}

export function renderStatus(v: TaskView, now: number): string {
  const clock = { now };
  const lines: [string, string][] = [
    ['name', v.name],
    ['state', `${stateText(v.state)}${v.reason ? ` (${v.reason})` : ''}`],
    ['desired', v.desired],
    [
      v.agent ? 'agent' : 'command',
      v.agent ? `${v.agent}${v.sessionId ? ` session ${v.sessionId}` : ''}` : commandText(v.command),
    ],
    ['cwd', v.cwd],
    ...(v.worktree
      ? [['worktree', `branch ${v.worktree.branch} from ${v.worktree.base.slice(0, 12)}`] as [string, string]]
      : []),
    ['restart', `${v.restart}, ${v.restarts} restart${v.restarts === 1 ? '' : 's'} so far`],
    ['pid', v.pid === null ? '-' : String(v.pid)],
    ['uptime', v.uptimeMs === null ? '-' : formatDuration(v.uptimeMs)],
    ['last exit', exitText(v)],
    ['last output', ageText(v.lastOutputAt, now)],
    ['created', isoWhenText(v.createdAt, clock)],
  ];
  if (v.nextStartAt) lines.push(['next start', isoWhenText(v.nextStartAt, clock)]);
  if (v.limitResetsAt) lines.push(['limit resets', isoWhenText(v.limitResetsAt, clock)]);
  if (v.prompt !== null) lines.push(['prompt', promptText(v.prompt)]);
  const denials = Array.isArray(v.info.permissionDenials) ? v.info.permissionDenials : [];
  for (const d of denials as { tool: string; input: string }[])
    lines.push(['denied', d.input === '' ? d.tool : `${d.tool} — ${oneLine(d.input, 160)}`]);
  if (v.interactive) lines.push(['activity', activityText(v, now)]);
  if (v.question) {
    lines.push(['question', questionText(v.question, now)]);
    if (v.question.options.length > 0)
      lines.push(['options', v.question.options.map((o, i) => `${i + 1}. ${o}`).join(' · ')]);
  }
  if (v.state === 'waiting-input')
    lines.push(['next', v.question ? `holdfast answer ${v.name} yes | no | <option>` : waitingHint(v)]);
  const inputs = inputsText(v);
  if (inputs) lines.push(['input', inputs]);
  for (const [key, label, text] of INFO_LINES) {
    const value = v.info[key];
    if (value !== undefined && value !== null) lines.push([label, text(value)]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  const head = lines.map(([k, val]) => `${k.padEnd(width)}  ${val}`).join('\n');
  const runs = table(
    ['RUN', 'CAUSE', 'STARTED', 'ENDED', 'EXIT', 'LOG'],
    v.runs.map((r) => [
      r.n,
      r.cause,
      isoClockText(r.startedAt, clock),
      isoClockText(r.endedAt, clock),
      exitText(r) + (r.reason ? ` (${r.reason})` : ''),
      r.log,
    ]),
  );
  return `${head}\n\n${runs}`;
}
