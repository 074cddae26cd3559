/**
 * What `decideMission` is given: the mission row parsed, its milestones and sessions, its agent
 * and gate tasks as the store has them, and (only when asked) the facts its next prompt quotes.
 */

import { parseSignalLine } from '../agents/signals.js';
import { diffSinceCheckpoint } from '../checkpoint/index.js';
import { type InputRecord, normalizeInputText, OPEN_INPUT_STATES } from '../core/input.js';
import { isInteractive } from '../core/task.js';
import type { AgentObserved, GateObserved, MissionObserved } from '../mission/decide.js';
import type { MissionDefinition } from '../mission/mission-file.js';
import {
  GATE_LOG_TAIL_BYTES,
  type PromptFacts,
  promptGateRun,
  renderSessionPrompt,
} from '../mission/prompt.js';
import { parseSettings } from '../mission/settings.js';
import { gateTaskName, type Mission } from '../mission/types.js';
import type { MissionRecord } from '../store/missions.js';
import { readRange } from './file-range.js';
import { logSize, readLog } from './log-segments.js';
import type { Runtime } from './runtime.js';

/** The row as mission/ reads it: settings checked, the definition as `mission init` stored it. */
export function missionOf(record: MissionRecord): Mission {
  return {
    ...record,
    definition: record.definition as MissionDefinition,
    settings: parseSettings(record.settings),
  };
}

/** Everything but the prompt facts (`prompt: null`): cheap, read on every pass. */
export function observeMission(rt: Runtime, record: MissionRecord): MissionObserved {
  return {
    milestones: rt.store.missions.milestones(record.id),
    sessions: rt.store.missions.sessions(record.id),
    agent: observeAgent(rt, record.name),
    gate: observeGate(rt, record),
    prompt: null,
  };
}

function observeAgent(rt: Runtime, name: string): AgentObserved | null {
  const task = rt.store.tasks.byName(name);
  if (!task) return null;
  const runs = rt.store.runs.forTask(task.id);
  const current = runs.find((r) => r.id === task.currentRunId);
  const interactive = isInteractive(task);
  const inputs = interactive ? rt.store.inputs.forTask(task.id) : [];
  const last = inputs.at(-1);
  return {
    state: task.state,
    reason: task.reason,
    lastRun: rt.store.runs.lastN(task.id),
    currentRunId: task.currentRunId,
    live: current !== undefined && current.endedAt === null,
    runs: runs.map((r) => ({
      n: r.n,
      logBytes: logSize(r.logPath),
      costUsd: rt.store.runs.summary<{ costUsd?: number | null }>(r.id)?.costUsd ?? null,
    })),
    interactive,
    activity: task.tui?.activity ?? null,
    turnInFlight: task.tui?.turnInFlight ?? false,
    openInputs: inputs.filter((x) => OPEN_INPUT_STATES.has(x.state)).length,
    lastInput: last
      ? {
          state: last.state,
          reason: last.reason,
          folded:
            last.state === 'confirmed' && confirmationFolded(rt, name, last, task.tui?.signalsOffset ?? 0),
        }
      : null,
  };
}

/**
 * Whether the UserPromptSubmit line that took `input` (its turn's start; the input is confirmed
 * later, by its transcript) lies before `folded`, the offset the task's activity has been folded
 * to: the deliverer reads `signals.jsonl` itself and may confirm an input before the loop has
 * folded the line that begins its turn.
 */
function confirmationFolded(rt: Runtime, task: string, input: InputRecord, folded: number): boolean {
  const from = input.signalsOffset ?? 0;
  if (folded <= from) return false;
  const want = normalizeInputText(input.text);
  // Both offsets are at the start of a line: every line read is whole, and folded.
  return readRange(rt.paths.signalsFile(task), from, folded)
    .toString('utf8')
    .split('\n')
    .some((line) => {
      const signal = parseSignalLine(line);
      const prompt = signal?.event === 'UserPromptSubmit' ? signal.payload.prompt : undefined;
      return typeof prompt === 'string' && normalizeInputText(prompt) === want;
    });
}

function observeGate(rt: Runtime, record: MissionRecord): GateObserved | null {
  const task = rt.store.tasks.byName(gateTaskName(record.name));
  if (!task) return null;
  const run =
    record.gateRun === null ? undefined : rt.store.runs.forTask(task.id).find((r) => r.n === record.gateRun);
  return {
    lastRun: rt.store.runs.lastN(task.id),
    currentRunId: task.currentRunId,
    expected: run
      ? { ended: run.endedAt !== null, exitCode: run.exitCode, signal: run.signal, endReason: run.endReason }
      : null,
  };
}

/** The agent's last message, the diff since the milestone's base checkpoint, the last gate run's log. */
export async function gatherPromptFacts(
  rt: Runtime,
  m: Mission,
  observed: Pick<MissionObserved, 'milestones' | 'sessions'>,
): Promise<PromptFacts> {
  const task = rt.store.tasks.byName(m.name);
  const info = task ? rt.store.tasks.info(task.id) : {};
  const baseCommit = observed.milestones[m.active]?.baseCommit ?? null;
  const diff = baseCommit ? await diffSinceCheckpoint(m.cwd, baseCommit).catch(() => null) : null;
  const gateN = promptGateRun(m, observed.sessions);
  const gateTask = gateN === null ? null : rt.store.tasks.byName(gateTaskName(m.name));
  const gateRun = gateTask ? rt.store.runs.forTask(gateTask.id).find((r) => r.n === gateN) : undefined;
  return {
    lastAgentMessage: typeof info.lastMessage === 'string' ? info.lastMessage : null,
    diff,
    lastGate: gateRun
      ? {
          exitCode: gateRun.exitCode,
          logTail: readLog(
            gateRun.logPath,
            Math.max(0, logSize(gateRun.logPath) - GATE_LOG_TAIL_BYTES),
          ).toString('utf8'),
        }
      : null,
  };
}

/** The prompt the next session would get, were it started now (`mission continue-prompt`). */
export async function nextSessionPrompt(rt: Runtime, record: MissionRecord): Promise<string> {
  const m = missionOf(record);
  const observed = observeMission(rt, record);
  const facts = await gatherPromptFacts(rt, m, observed);
  return renderSessionPrompt(m, observed.milestones, observed.sessions, facts);
}
