import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import type { RunRecord, TaskRecord } from '../../core/task.js';
import { logMtimeMs } from '../../supervisor/log-segments.js';
import { firstWholeLine, readRunLog } from '../../supervisor/run-log.js';
import { promptOf } from '../../views/tasks.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { clockText } from '../human.js';
import { tailOffset } from '../log-text.js';
import { renderTranscript } from '../transcript.js';

interface LogOptions {
  lines?: string;
  raw?: boolean;
  run?: string;
  prompt?: boolean;
  timestamps?: boolean;
}

export function register(program: Command): void {
  program
    .command('log')
    .alias('logs')
    .summary("a task's output (every run; ANSI stripped unless --raw)")
    .argument('<task>', 'task name')
    .option('-n, --lines <n>', 'only the last n lines of each selected run')
    .option('--raw', 'the exact bytes the task wrote, nothing added or removed')
    .option('--run <n>', 'only run n')
    .option('--prompt', "an agent task's prompt, in full, instead of its output")
    .option('-t, --timestamps', 'prefix each line with the time it was captured (to within a read, ~2 s)')
    .action(
      action<LogOptions>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        if (options.prompt) {
          const prompt = promptOf(ctx.rt, task);
          if (prompt === null) {
            throw new HoldfastError('EUSAGE', `${task.name} is not an agent task: it has no prompt`);
          }
          ctx.out.write(prompt);
          return 0;
        }
        const runs = selectRuns(ctx, task.id, options.run);
        const lines = options.lines === undefined ? null : parseLines(options.lines);
        for (const run of runs) {
          // --raw: every byte still on disk; otherwise whole lines only (rotation cuts one).
          const from =
            lines !== null ? tailOffset(run.logPath, lines) : options.raw ? 0 : firstWholeLine(run.logPath);
          const bytes = readRunLog(run.logPath, from, run.endedAt !== null);
          if (options.timestamps) {
            if (!options.raw && runs.length > 1) ctx.out.write(runMarker(run, ctx.rt.now()));
            writeTimestamped(ctx, task, run, from, bytes, Boolean(options.raw));
            continue;
          }
          if (options.raw) {
            ctx.out.raw(bytes);
            continue;
          }
          if (runs.length > 1) ctx.out.write(runMarker(run, ctx.rt.now()));
          ctx.out.raw(renderTranscript(task, bytes.toString('utf8'), ctx.rt.now()));
        }
        return 0;
      }),
    );
}

/**
 * Each line of `bytes` (which start at stream offset `from`) with the time the tailer first found
 * it in the log (store/log-times.ts); a line past its last read, with the log's mtime.
 */
function writeTimestamped(
  ctx: Context,
  task: TaskRecord,
  run: RunRecord,
  from: number,
  bytes: Buffer,
  raw: boolean,
): void {
  const times = ctx.rt.store.logTimes.forRun(run.id);
  const fallback = logMtimeMs(run.logPath) ?? ctx.rt.now();
  let t = 0;
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    const offset = from + start;
    while (t < times.length && times[t]!.offset <= offset) t++;
    const stamp = new Date(times[t]?.at ?? fallback).toISOString();
    const line = bytes.subarray(start, end);
    start = end;
    if (raw) {
      ctx.out.raw(Buffer.concat([Buffer.from(`${stamp} `), line]));
      continue;
    }
    const rendered = renderTranscript(task, line.toString('utf8'), ctx.rt.now());
    if (rendered === '') continue;
    const text = rendered.endsWith('\n') ? rendered.slice(0, -1) : rendered;
    ctx.out.raw(
      `${text
        .split('\n')
        .map((l) => `${stamp} ${l}`)
        .join('\n')}\n`,
    );
  }
}

function parseLines(text: string): number {
  if (!/^\d+$/.test(text))
    throw new HoldfastError('EUSAGE', `--lines: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function selectRuns(ctx: Context, taskId: number, run: string | undefined): RunRecord[] {
  const runs = ctx.rt.store.runs.forTask(taskId);
  if (run === undefined) return runs;
  const n = Number(run);
  const found = runs.find((r) => r.n === n);
  if (!found) {
    throw new HoldfastError(
      'EUSAGE',
      `--run ${run}: the task has runs ${runs.map((r) => r.n).join(', ') || '(none)'}`,
    );
  }
  return [found];
}

export function runMarker(run: RunRecord, now = Date.now()): string {
  return `── run ${run.n} (${run.cause}, started ${clockText(run.startedAt, { now })}) ──`;
}
