import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import type { RunRecord } from '../../core/task.js';
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
