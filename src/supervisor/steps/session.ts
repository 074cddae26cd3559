/**
 * The session step of an agent run: what its output says, folded into the run's summary as the
 * tailer reads it (the session id it reports, its last message, turns, cost, denials), and how the
 * run ended, judged from that summary and the exit.
 */
import { getAdapter } from '../../agents/registry.js';
import { emptySummary, summarizeLines, toolInFlight } from '../../agents/summary.js';
import type { AgentAdapter, TranscriptSummary } from '../../agents/types.js';
import type { AgentFacts } from '../../core/decide.js';
import { event } from '../../core/events.js';
import type { RunExit, RunRecord, TaskRecord } from '../../core/task.js';
import type { Runtime } from '../runtime.js';
import { type LineConsumer, tailRun } from '../tailer.js';

/**
 * Folds an agent run's new lines into its summary, inside the tailer's transaction (with the log
 * offset they came from): the session id it reports (the decider makes it the task's), the last
 * message, turns and cost (visible in `ls`/`status`), a usage limit and denied tools (journaled).
 */
export function makeAgentLineConsumer(rt: Runtime): LineConsumer {
  return (task, run, lines, now) => {
    // An interactive run's log is its TUI's screen output: its facts come from its hooks instead.
    if (!task.spec.agent || task.spec.agent.interactive) return;
    const adapter = getAdapter(task.spec.agent.kind);
    const before = rt.store.runs.summary<TranscriptSummary>(run.id) ?? emptySummary();
    const summary = summarizeLines(adapter, lines, now, undefined, before);
    rt.store.runs.setSummary(run.id, summary);
    const place = { taskId: task.id, taskName: task.name, runId: run.id, at: now };
    if (summary.usageLimit && !before.usageLimit)
      rt.store.events.record(
        place,
        event('usage-limit-seen', { resetAt: summary.usageLimit.resetAt, detail: summary.usageLimit.detail }),
      );
    const denied = (summary.permissionDenials ?? []).slice((before.permissionDenials ?? []).length);
    if (denied.length > 0)
      rt.store.events.record(
        place,
        event('permission-denied', { tools: [...new Set(denied.map((d) => d.tool))], denials: denied }),
      );
    rt.store.tasks.mergeInfo(task.id, {
      lastMessage: summary.lastAssistant === null ? null : summary.lastAssistant.slice(0, 2000),
      turns: summary.turns,
      costUsd: summary.costUsd,
      // This run's denials (null removes the key: a new run starts without any).
      permissionDenials: summary.permissionDenials?.length ? summary.permissionDenials : null,
    });
  };
}

/**
 * What the decider needs to know of an agent's run: the session id and tool calls it reported and,
 * once it has ended (`exit`), how, judged from everything it printed (read to the end first).
 */
export function agentFacts(rt: Runtime, task: TaskRecord, run: RunRecord, exit: RunExit | null): AgentFacts {
  if (exit !== null) tailRun(rt, run, makeAgentLineConsumer(rt), true);
  const summary = rt.store.runs.summary<TranscriptSummary>(run.id) ?? emptySummary();
  const adapter: AgentAdapter = getAdapter(task.spec.agent!.kind);
  return {
    verdict: exit === null ? null : adapter.classify(summary, exit),
    sessionId: summary.sessionId,
    toolInFlight: toolInFlight(summary),
  };
}
