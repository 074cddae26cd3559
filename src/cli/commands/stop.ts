import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { isDiskFull } from '../../store/disk-full.js';
import {
  DEFAULT_STOP_TIMEOUT_MS,
  escalateStop,
  type Leftovers,
  requestStop,
  type StopDecision,
  stopBeforeRecording,
  stopLeftovers,
} from '../../supervisor/stop.js';
import { action } from '../action.js';
import type { Context } from '../context.js';

export function register(program: Command): void {
  program
    .command('stop')
    .summary('stop tasks: SIGINT, then SIGTERM, then SIGKILL at the timeout')
    .argument('<tasks...>', 'task names')
    .option('-t, --timeout <duration>', 'time before SIGKILL (SIGTERM at half of it)', '10s')
    .option('--json', 'print the stopped tasks as JSON')
    .action(
      action<{ timeout: string; json?: boolean }>(async (ctx, names, options) => {
        const timeoutMs = options.timeout
          ? parseDuration(options.timeout, '--timeout')
          : DEFAULT_STOP_TIMEOUT_MS;
        const tasks = names.map((name) => ctx.task(name));
        const full = (error: unknown) => isDiskFull(error, ctx.rt.paths.store);
        // A full disk must not keep a stop from being sent: what the store says is enough to signal.
        await ctx.refresh().catch((error) => {
          if (!full(error)) throw error;
        });
        const results = await Promise.all(
          tasks.map(async (task) => {
            let decision: StopDecision;
            try {
              decision = requestStop(ctx.rt, task.id, { timeoutMs });
            } catch (error) {
              if (!full(error)) throw error;
              decision = await stopBeforeRecording(ctx.rt, task.id, { timeoutMs }, error);
            }
            const ended = await escalateStop(ctx.rt, task.id, timeoutMs, decision.runId);
            const left: Leftovers =
              ended && decision.runId !== null
                ? await stopLeftovers(ctx.rt, task.id, decision.runId)
                : { ended: [], running: [] };
            return {
              name: task.name,
              state: ctx.rt.store.tasks.byId(task.id)?.state ?? 'stopped',
              ended,
              alreadyEnded: decision.alreadyEnded,
              survivors: left.ended,
              stillRunning: left.running,
            };
          }),
        );
        ctx.out.result(results, () => results.map((r) => stopLine(ctx, r)).join('\n'));
        return results.every((r) => r.ended && r.stillRunning.length === 0) ? 0 : 1;
      }),
    );
}

function stopLine(
  ctx: Context,
  r: {
    name: string;
    state: string;
    ended: boolean;
    alreadyEnded: boolean;
    survivors: number[];
    stillRunning: number[];
  },
): string {
  if (!r.ended) return `${r.name}: still running after SIGKILL`;
  if (r.stillRunning.length > 0)
    return `${r.name}: ${r.state}, but processes it started are still running after SIGKILL: pid ${r.stillRunning.join(' ')}`;
  if (r.survivors.length > 0)
    return `${r.name}: ${r.state}; ended processes it left outside its process group: pid ${r.survivors.join(' ')}`;
  if (!r.alreadyEnded) return `${r.name}: ${r.state}`;
  const task = ctx.rt.store.tasks.byName(r.name);
  const last = task ? ctx.rt.store.runs.forTask(task.id).at(-1) : undefined;
  const exit = last?.signal ?? (typeof last?.exitCode === 'number' ? `exit ${last.exitCode}` : null);
  return `${r.name}: had already ended (${r.state}${exit ? `, ${exit}` : ''})`;
}
