/**
 * An answer delivered by keys on the agent's dialog (docs/INTERACTIVE.md §1, §4): the path of a
 * question no hook waits on (no daemon ran when the hook fired, the daemon went away while it
 * waited, a trust dialog). It is an input of mode `keys` (core/input.ts), so it is recorded before
 * anything is pressed and delivered by the courier (steps/deliver.ts), in its task's turn:
 *
 *   queued  the dialog the question was about is on the screen (its kind, its call), the store's
 *           question is still this one and no newer dialog was asked for: seen for ≥ 300 ms
 *           (claude ignores keys for ~125 ms after drawing) → `sent` recorded → the key pressed
 *   sent    the dialog gone from the screen, or the agent's signals moved on → `confirmed`, with
 *           `approval-decided` (`by` the user, `via: screen`) and, for a no with a message, the
 *           message queued as the agent's next input
 *
 * A deliverer that takes over a `sent` answer looks before it presses: signals past the offset
 * recorded before the key, or no dialog, mean the key was taken; the same dialog with nothing
 * after it means it was not, and it is pressed then. So a daemon killed at any point presses the
 * key at most once on a dialog that took it.
 */
import { dialogShows, type KeysAnswer, parseKeysAnswer } from '../../agents/dialog-keys.js';
import { readScreen } from '../../agents/screen.js';
import { parseSignalLine } from '../../agents/signals.js';
import { HoldfastError } from '../../core/errors.js';
import { event, type JournalDraft } from '../../core/events.js';
import type { DeferReason, InputRecord, InputState } from '../../core/input.js';
import type { RunRecord, TaskRecord } from '../../core/task.js';
import type { Store } from '../../store/db.js';
import type { InputPatch } from '../../store/inputs.js';
import { fileSize, readRange } from '../file-range.js';
import { kickDaemon } from '../pane-events.js';
import type { Runtime } from '../runtime.js';
import { sleep } from '../sleep.js';
import { openQuestion } from './signals.js';

/** §4: wait this long after the dialog was first seen drawn before pressing (claude is deaf ~125 ms). */
export const DIALOG_SETTLE_MS = 300;
/** After the key: the dialog must be gone within this long. */
const GONE_TIMEOUT_MS = 3000;
/** A queued answer whose dialog is not on the screen this long is given up (nothing pressed). */
const NOT_SHOWN_MS = 5000;
const TAKEOVER_SETTLE_MS = 1000;
const POLL_MS = 50;

/** What the keys step needs of the courier that runs it. */
export interface KeysCourier {
  screen(task: TaskRecord): Promise<string>;
  /** Moves the input along if it is still as last seen, with journal entries and more writes in the same transaction. */
  move(
    task: TaskRecord,
    input: InputRecord,
    state: InputState,
    patch: InputPatch,
    entry?: JournalDraft | JournalDraft[],
    also?: (at: number) => void,
  ): boolean;
  fail(task: TaskRecord, input: InputRecord, reason: string): number;
  defer(task: TaskRecord, input: InputRecord, why: DeferReason, retryMs: number): number;
  /** How long to wait for a human using an attached client's keyboard; 0: nobody is. */
  humanWait(task: TaskRecord): Promise<number>;
  /** Queues `text` as the task's next input inside the caller's transaction. */
  queueIn(store: Store, task: TaskRecord, text: string, at: number): void;
  log(line: string): void;
}

/**
 * Records the answer to an open question as a `keys` input (in one transaction that checks the
 * question is still the open one and no other answer to it is under way) and wakes the daemon.
 */
export function queueKeysAnswer(rt: Runtime, taskId: number, answer: KeysAnswer): InputRecord {
  const input = rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
    if (openQuestion(task)?.id !== answer.questionId)
      throw new HoldfastError('ESTATE', `${task.name}'s question was answered or went away meanwhile`);
    const pending = rt.store.inputs.open(task.id).find((i) => i.mode === 'keys');
    if (pending) {
      throw new HoldfastError('ESTATE', `an answer to ${task.name}'s question is being delivered already`, {
        hint: `holdfast status ${task.name} shows it (input ${pending.id})`,
      });
    }
    const at = rt.now();
    const text = JSON.stringify(answer);
    const record = rt.store.inputs.add({
      taskId: task.id,
      text,
      source: 'answer',
      mode: 'keys',
      now: false,
      at,
    });
    rt.store.events.record(
      { taskId: task.id, taskName: task.name, at },
      event('input-queued', { input: record.id, source: 'answer', mode: 'keys', chars: text.length }),
    );
    return record;
  });
  if (rt.supervisor) rt.supervisor.markDirty(taskId);
  else kickDaemon(rt, taskId);
  return input;
}

export class AnswerKeys {
  /** When this deliverer first saw each queued answer's dialog drawn (wall time). */
  private readonly seen = new Map<number, number>();
  /** When this deliverer first looked for each queued answer's dialog (wall time). */
  private readonly firstLook = new Map<number, number>();

  constructor(
    private readonly rt: Runtime,
    private readonly courier: KeysCourier,
  ) {}

  /** One step of a keys input; how long to wait before the next. */
  async step(task: TaskRecord, input: InputRecord, run: RunRecord | null): Promise<number> {
    const answer = parseKeysAnswer(input.text);
    if (!answer) return this.courier.fail(task, input, 'the recorded answer is unreadable: no key pressed');
    if (input.state === 'queued') return this.queued(task, input, answer, run);
    return this.takeOver(task, input, answer, run);
  }

  private forget(input: InputRecord): void {
    this.seen.delete(input.id);
    this.firstLook.delete(input.id);
  }

  private async queued(
    task: TaskRecord,
    input: InputRecord,
    answer: KeysAnswer,
    run: RunRecord | null,
  ): Promise<number> {
    const { courier } = this;
    if (!run) {
      this.forget(input);
      return courier.fail(task, input, 'the agent is not running: its dialog is gone, no key pressed');
    }
    const human = await courier.humanWait(task);
    if (human > 0) return courier.defer(task, input, 'human-typing', human);
    const now = Date.now();
    const firstLook = this.firstLook.get(input.id) ?? now;
    this.firstLook.set(input.id, firstLook);
    const reading = readScreen(agentOf(task), await courier.screen(task));
    const current = this.rt.store.tasks.byId(task.id);
    const stillOpen = current !== null && openQuestion(current)?.id === answer.questionId;
    const newer = current !== null && newerRequest(this.rt, current, answer.askedAt);
    if (!stillOpen || newer) {
      this.forget(input);
      return courier.fail(task, input, 'the question was answered or went away before the key was pressed');
    }
    if (!dialogShows(answer, reading)) {
      this.seen.delete(input.id);
      if (now - firstLook >= NOT_SHOWN_MS) {
        this.forget(input);
        return courier.fail(
          task,
          input,
          'the dialog the question was about is not on the screen: no key pressed',
        );
      }
      return courier.defer(task, input, 'not-ready', 100);
    }
    const seenAt = this.seen.get(input.id) ?? now;
    this.seen.set(input.id, seenAt);
    if (now - seenAt < DIALOG_SETTLE_MS) return seenAt + DIALOG_SETTLE_MS - now;
    this.forget(input);
    const sentAt = this.rt.now();
    const moved = courier.move(
      task,
      input,
      'sent',
      {
        runId: run.id,
        signalsOffset: fileSize(this.rt.paths.signalsFile(task.name)),
        sentAt,
        enters: 1,
        deferred: null,
      },
      event('input-sent', { input: input.id, run: run.n, waitedMs: sentAt - input.createdAt }),
    );
    if (!moved) return 0;
    await this.rt.tmux.sendKeys(target(task), [answer.key]);
    return this.awaitGone(task, input, answer, Date.now());
  }

  /** A `sent` answer whose deliverer died: was the key taken? */
  private async takeOver(
    task: TaskRecord,
    input: InputRecord,
    answer: KeysAnswer,
    run: RunRecord | null,
  ): Promise<number> {
    const { courier } = this;
    if (!run || run.id !== input.runId)
      return courier.fail(task, input, 'the agent restarted before its dialog was seen answered');
    // The dead deliverer's key may still be on its way (tmux clients run detached).
    await sleep(TAKEOVER_SETTLE_MS);
    if (this.movedOn(task, input)) return this.decided(task, input, answer);
    const reading = readScreen(agentOf(task), await courier.screen(task));
    if (!dialogShows(answer, reading)) return this.decided(task, input, answer);
    // The same dialog, and nothing happened since the key was to be pressed: it was not.
    if (input.enters >= 2)
      return courier.fail(task, input, 'the dialog did not take the key twice: not pressed again');
    if (!courier.move(task, input, 'sent', { enters: input.enters + 1 })) return 0;
    courier.log(`${task.name}: the answer ${input.id} was recorded but its key not taken: pressed now`);
    await this.rt.tmux.sendKeys(target(task), [answer.key]);
    return this.awaitGone(task, input, answer, Date.now());
  }

  private async awaitGone(
    task: TaskRecord,
    input: InputRecord,
    answer: KeysAnswer,
    pressedAt: number,
  ): Promise<number> {
    for (;;) {
      if (this.movedOn(task, input)) return this.decided(task, input, answer);
      const reading = readScreen(agentOf(task), await this.courier.screen(task));
      if (!dialogShows(answer, reading)) return this.decided(task, input, answer);
      if (Date.now() - pressedAt >= GONE_TIMEOUT_MS) {
        return this.courier.fail(
          task,
          input,
          `the dialog was still on the screen ${GONE_TIMEOUT_MS / 1000} s after the key: it was not taken`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Whether the agent's signals past the offset recorded before the key say the dialog was left. */
  private movedOn(task: TaskRecord, input: InputRecord): boolean {
    if (input.signalsOffset === null) return false;
    const text = readRange(this.rt.paths.signalsFile(task.name), input.signalsOffset).toString('utf8');
    return text.split('\n').some((l) => {
      const line = parseSignalLine(l);
      // A Notification (permission_prompt) comes while the dialog is still up.
      return line !== null && line.event !== 'Notification';
    });
  }

  /** The dialog took the answer: confirmed and journaled; a no's message becomes the next input. */
  private decided(task: TaskRecord, input: InputRecord, answer: KeysAnswer): number {
    const { courier } = this;
    const at = this.rt.now();
    const confirmedAt = Math.max(at, input.createdAt);
    const entries: JournalDraft[] = [
      event('input-confirmed', {
        input: input.id,
        latencyMs: confirmedAt - input.createdAt,
        sentMs: input.sentAt === null ? 0 : Math.max(0, confirmedAt - input.sentAt),
        enters: input.enters,
        by: 'screen',
      }),
      event('approval-decided', {
        questionId: answer.questionId,
        ...(answer.kind === 'trust' ? { kind: 'trust' as const } : {}),
        tool: answer.tool,
        input: answer.input,
        behavior: answer.behavior,
        by: answer.by,
        ...(answer.message ? { message: answer.message } : {}),
        via: 'screen',
      }),
    ];
    const message = answer.behavior === 'deny' ? answer.message : null;
    courier.move(
      task,
      input,
      'confirmed',
      { confirmedAt, deferred: null },
      entries,
      message ? (when) => courier.queueIn(this.rt.store, task, message, when) : undefined,
    );
    return 0;
  }
}

/** A `PermissionRequest` past the task's committed signals newer than the question: a dialog the store has not seen yet. */
function newerRequest(rt: Runtime, task: TaskRecord, askedAt: number): boolean {
  const from = task.tui?.signalsOffset ?? 0;
  const text = readRange(rt.paths.signalsFile(task.name), from).toString('utf8');
  return text.split('\n').some((l) => {
    const line = parseSignalLine(l);
    return line?.event === 'PermissionRequest' && line.decision === undefined && line.at > askedAt;
  });
}

function target(task: TaskRecord): string {
  return `=${task.name}:`;
}

function agentOf(task: TaskRecord): 'claude' | 'codex' {
  return task.spec.agent?.kind === 'codex' ? 'codex' : 'claude';
}
