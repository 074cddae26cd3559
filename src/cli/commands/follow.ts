import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES } from '../../core/task.js';
import { readLog, viewLog } from '../../supervisor/log-segments.js';
import { closingQuery, heldBack, readRunLog } from '../../supervisor/run-log.js';
import { sleep } from '../../supervisor/sleep.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { tailOffset } from '../log-text.js';
import { renderTranscript, runEndLine } from '../transcript.js';
import { waitingHint } from '../waiting.js';
import { runMarker } from './log.js';

interface FollowOptions {
  lines: string;
  raw?: boolean;
}

export function register(program: Command): void {
  program
    .command('follow')
    .alias('tail')
    .summary('stream output like tail -f, across restarts; ends when the task ends')
    .argument('<task>', 'task name')
    .option('-n, --lines <n>', 'start with the last n lines of the current run', '10')
    .option('--raw', 'exact bytes, no markers')
    .action(
      action<FollowOptions>(async (ctx, [name], options) => {
        if (!/^\d+$/.test(options.lines))
          throw new HoldfastError('EUSAGE', `--lines: expected a whole number`);
        return follow(ctx, name!, Number(options.lines), Boolean(options.raw));
      }),
    );
}

/** One continuous stream over every run of the task, each run marked; returns when the task is final. */
export async function follow(ctx: Context, name: string, lines: number, raw: boolean): Promise<number> {
  const task = ctx.task(name);
  let runs = ctx.rt.store.runs.forTask(task.id);
  // Start `lines` lines back in the whole stream, which may reach into earlier runs.
  let { index, offset } = startPoint(
    runs.map((r) => r.logPath),
    lines,
  );
  if (!raw && index < runs.length - 1 && offset === 0 && index > 0) ctx.out.write(runMarker(runs[index]!));
  let partial = '';
  const emit = (bytes: Buffer, flush: boolean) => {
    if (raw) return ctx.out.raw(bytes);
    const text = partial + bytes.toString('utf8');
    const cut = flush ? text.length : text.lastIndexOf('\n') + 1;
    partial = text.slice(cut);
    if (cut === 0) return;
    const rendered = renderTranscript(task, text.slice(0, cut), Date.now(), { omitLimitLines: true });
    if (rendered !== '') lineOpen = !rendered.endsWith('\n');
    ctx.out.raw(rendered);
  };
  let lineOpen = false;
  let lastRefresh = 0;
  // The run whose end (what holdfast does next) has been told.
  let endTold = -1;
  for (;;) {
    if (Date.now() - lastRefresh > 250) {
      await ctx.refresh();
      lastRefresh = Date.now();
    }
    runs = ctx.rt.store.runs.forTask(task.id);
    const run = runs[index];
    const current = ctx.rt.store.tasks.byId(task.id);
    if (!current) return 0;
    if (run) {
      const view = viewLog(run.logPath);
      const size = view.end;
      if (size < offset) offset = size;
      // Segments dropped before they were shown (a reader that fell 4 segments behind) are gone.
      if (offset < view.start) offset = view.start;
      const ended = run.endedAt !== null;
      if (size > offset) {
        const bytes = readLog(view, offset, size);
        const shown = bytes.length - (ended ? closingQuery(bytes) : heldBack(bytes));
        emit(bytes.subarray(0, shown), false);
        offset += shown;
      }
      const goesOn = index < runs.length - 1 || !FINAL_STATES.has(current.state);
      if (ended && goesOn && endTold !== index) {
        endTold = index;
        if (!raw && task.spec.agent) {
          emit(Buffer.alloc(0), true);
          const line = runEndLine(run, ctx.rt.store.events.forRun(run.id));
          if (line !== null) ctx.out.write(lineOpen ? `\n${line}` : line);
          lineOpen = false;
        }
      }
      if (ended && index < runs.length - 1) {
        emit(readRunLog(run.logPath, offset, true), true);
        index++;
        offset = 0;
        if (!raw) ctx.out.write(`\n${runMarker(runs[index]!)}`);
        continue;
      }
      if (ended && FINAL_STATES.has(current.state)) {
        emit(readRunLog(run.logPath, offset, true), true);
        if (!raw) ctx.out.write(`── ${current.name} ${current.state}${exitSuffix(run)} ──`);
        return 0;
      }
      // Nothing more comes until a person answers: say what it waits for and how to go on.
      if (ended && current.state === 'waiting-input' && index === runs.length - 1) {
        emit(readRunLog(run.logPath, offset, true), true);
        if (!raw) ctx.out.write(`── ${current.name} waiting-input (${current.reason ?? 'needs input'}) ──`);
        if (!raw) ctx.out.write(`next: ${waitingHint(current)}`);
        return 0;
      }
    } else if (FINAL_STATES.has(current.state)) {
      return 0;
    }
    await sleep(50);
  }
}

/** The run and byte offset where the last `lines` lines of all the logs together begin. */
export function startPoint(logs: readonly string[], lines: number): { index: number; offset: number } {
  let remaining = lines;
  for (let i = logs.length - 1; i >= 0; i--) {
    const offset = tailOffset(logs[i]!, remaining);
    if (offset > 0 || i === 0) return { index: i, offset };
    remaining -= countLines(logs[i]!);
    if (remaining <= 0) return { index: i, offset: 0 };
  }
  return { index: 0, offset: 0 };
}

function countLines(path: string): number {
  const bytes = readLog(path, 0);
  let n = 0;
  for (const b of bytes) if (b === 0x0a) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? n + 1 : n;
}

function exitSuffix(run: {
  exitCode: number | null;
  signal: string | null;
  endReason: string | null;
}): string {
  if (run.signal) return ` (${run.signal})`;
  if (run.exitCode !== null) return ` (exit ${run.exitCode})`;
  return run.endReason ? ` (${run.endReason})` : '';
}
