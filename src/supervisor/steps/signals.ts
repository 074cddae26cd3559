/**
 * The signals step of an interactive run: what the agent's hooks appended to `signals.jsonl` past
 * the task's committed offset, and what its screen shows where no signal tells (a look taken by
 * the loop before the decision), folded into the task's next `TuiState`. Read inside the
 * decision's transaction and written by it with the new offset, like `pane-events.log`: a crash
 * neither skips nor repeats a signal. Also what the other interactive parts read: the current
 * screen's state and the open question.
 */
import { approvalEvents } from '../../agents/answers.js';
import type { RegistryReading } from '../../agents/claude-registry.js';
import { readScreen, type ScreenReading } from '../../agents/screen.js';
import { parseSignalLine, type SignalLine } from '../../agents/signals.js';
import {
  foldRegistry,
  foldScreen,
  foldSignals,
  lastWordAt,
  type ScreenLook,
} from '../../agents/tui-state.js';
import type { JournalDraft } from '../../core/events.js';
import { INITIAL_TUI, type Question, type TuiState } from '../../core/interactive.js';
import type { TaskRecord } from '../../core/task.js';
import { fileSize, readRange } from '../file-range.js';
import type { Runtime } from '../runtime.js';

/** The most read of one task's signals in one decision. */
const MAX_CHUNK = 1024 * 1024;

/** The complete lines past `from`, and the offset after them. */
export function readSignals(rt: Runtime, task: string, from: number): { lines: SignalLine[]; end: number } {
  const file = rt.paths.signalsFile(task);
  const size = fileSize(file);
  // A file shorter than the offset was replaced (the task's folder made again): from the top.
  const offset = size < from ? 0 : from;
  if (size <= offset) return { lines: [], end: offset };
  const chunk = readRange(file, offset, Math.min(size, offset + MAX_CHUNK));
  const cut = chunk.lastIndexOf(0x0a) + 1;
  const lines = chunk
    .subarray(0, cut)
    .toString('utf8')
    .split('\n')
    .flatMap((l) => {
      const line = l === '' ? null : parseSignalLine(l);
      return line ? [line] : [];
    });
  return { lines, end: offset + cut };
}

/**
 * The task's next state from its new signals, claude's registry as read now, and the loop's last
 * look at its screen; and the approvals decided in the same new signals (journaled with them).
 */
export function tuiObservation(
  rt: Runtime,
  task: TaskRecord,
  look: ScreenLook | null,
  registry: RegistryReading | null = null,
): { tui: TuiState; approvals: JournalDraft<'approval-decided'>[] } {
  const prev = task.tui ?? INITIAL_TUI;
  const { lines, end } = readSignals(rt, task.name, prev.signalsOffset);
  let next = foldSignals({ ...prev, signalsOffset: end }, lines);
  if (registry) next = foldRegistry(next, registry);
  // A look older than the last signal says nothing the signal did not: hooks win.
  if (look && look.at >= lastWordAt(next)) next = foldScreen(next, look);
  return { tui: next, approvals: lines.flatMap(approvalEvents) };
}

/** What the pane of an interactive task shows now (null: no pane). */
export async function lookAtScreen(rt: Runtime, task: TaskRecord): Promise<ScreenReading | null> {
  try {
    const text = await rt.tmux.exec(['capture-pane', '-p', '-t', `=${task.name}:`]);
    return readScreen(task.spec.agent!.kind === 'codex' ? 'codex' : 'claude', text);
  } catch {
    return null;
  }
}

/** The question an interactive task waits on, as the store has it (for `answer` and the views). */
export function openQuestion(task: TaskRecord): Question | null {
  return task.tui?.question ?? null;
}
