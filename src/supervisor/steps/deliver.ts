/**
 * The delivery step: input typed into an interactive agent's TUI exactly once (DESIGN invariant 8),
 * or handed to a headless agent as its next `resume --prompt`.
 *
 * Into a pane, as docs/INTERACTIVE.md §2 found reliable: an empty composer → the text loaded into
 * a buffer of its own name and pasted bracketed (`paste-buffer -p -d -b`) → ≥ 300 ms → Enter →
 * taken: the agent's `UserPromptSubmit` carrying the text (its hook's line in the task's
 * `signals.jsonl`, read from the file's size when sending began) → if not within ~2 s and the text
 * is still in the composer, Enter once more. The text is never pasted twice into one run.
 *
 * Taken is not yet kept. codex's is confirmed then (it has written the prompt to its rollout
 * before its hooks run); claude's is `submitted` until its transcript has the prompt's user line,
 * looked for past the size the hook saw (core/input.ts `settleSubmitted` decides, from what this
 * file reads). A TUI that dies before that line kept nothing: the input is queued again for the
 * next run, which the resumed session lacks it for; one the transcript has is never typed again.
 *
 * Each input's state is in the store before each step it names (`sending` before the paste, `sent`
 * before the first Enter), held by one deliverer (pid and start time). A deliverer that finds an
 * input whose holder died looks before it acts: a confirmation past the offset, the buffer still
 * loaded (not pasted), the text in the composer (pasted, no Enter taken), an empty composer
 * (nothing arrived: pasted now).
 *
 * Never over a human: a client attached to the task's session whose keyboard was used in the last
 * 10 s, or a composer holding text holdfast did not put there, defers the input (`input-deferred`)
 * until that is over; a working agent defers it too unless it was sent `--now`.
 */
import { randomBytes } from 'node:crypto';
import { transcriptKeeps } from '../../agents/claude-transcript.js';
import {
  type Composer,
  composerHolds,
  composerHoldsExactly,
  type InteractiveAgent,
  readComposer,
  workingOnScreen,
} from '../../agents/composer.js';
import { parseSignalLine } from '../../agents/signals.js';
import { checkIntent, type Intent } from '../../core/decide.js';
import { HoldfastError } from '../../core/errors.js';
import { event, type JournalDraft } from '../../core/events.js';
import {
  DEFER_TEXT,
  type DeferReason,
  type InputRecord,
  type InputSource,
  type InputState,
  normalizeInputText,
  pastedText,
  settleSubmitted,
} from '../../core/input.js';
import type { RunRecord, TaskRecord } from '../../core/task.js';
import type { InputPatch } from '../../store/inputs.js';
import { type QueueOptions, queueInputIn } from '../../store/queue-input.js';
import { fileSize, readForeignLines, readRange } from '../file-range.js';
import { carryOut } from '../intents.js';
import { kickDaemon } from '../pane-events.js';
import { isRunning, processStartTime } from '../process.js';
import type { Runtime } from '../runtime.js';
import { sleep } from '../sleep.js';
import { AnswerKeys } from './answer-keys.js';

/** §2: from paste to Enter. */
export const PASTE_SETTLE_MS = 300;
/** §2: not confirmed this long after Enter, with the text still in the composer: one more Enter. */
export const SECOND_ENTER_MS = 2000;
/** Not confirmed this long after the last Enter: failed. */
export const CONFIRM_TIMEOUT_MS = 10_000;
/** A human's keyboard used this recently defers an input. */
export const HUMAN_QUIET_MS = 10_000;
/**
 * A deliverer that takes over a `sending` input waits this long first: the dead one's tmux clients
 * run detached and may still be loading or pasting, and the TUI may not have drawn a paste yet.
 */
const TAKEOVER_SETTLE_MS = 1000;
const POLL_MS = 25;
/** How often a `submitted` input's transcript is looked at (its line lands ~200 ms after the request). */
const KEPT_POLL_MS = 50;
/** §2: "Escape, 0.5 s, Escape cleared a multi-line draft". */
const ESC_ESC_MS = 500;

/** Records an input in its own transaction and wakes the daemon to deliver it. */
export function queueInput(
  rt: Runtime,
  taskId: number,
  text: string,
  source: InputSource,
  options: QueueOptions = {},
): InputRecord {
  const input = rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
    return queueInputIn(rt.store, task, text, source, rt.now(), options);
  });
  if (rt.supervisor) rt.supervisor.markDirty(taskId);
  else kickDaemon(rt, taskId);
  return input;
}

/** The agent's word that it took an input: its `UserPromptSubmit` line carrying the text. */
export interface Submit {
  /** When the hook ran. */
  at: number;
  /**
   * claude's transcript and its size as the hook ran, where the prompt's user line is looked for;
   * null: the line names none (codex, whose rollout has the prompt before its hooks run).
   */
  transcript: { path: string; offset: number } | null;
  /** When the first turn end (`Stop`) after this line ran; null: none yet. */
  turnEndedAt: number | null;
}

/** The submit of `text` among `signals.jsonl`'s lines past `offset`, or null. */
export function findSubmit(signalsPath: string, offset: number, text: string): Submit | null {
  const want = normalizeInputText(text);
  let submit: Submit | null = null;
  for (const line of readRange(signalsPath, offset).toString('utf8').split('\n')) {
    const signal = parseSignalLine(line);
    if (!signal) continue;
    if (submit) {
      if (signal.event === 'Stop') {
        submit.turnEndedAt = signal.at;
        break;
      }
      continue;
    }
    if (signal.event !== 'UserPromptSubmit') continue;
    const prompt = signal.payload.prompt;
    if (typeof prompt !== 'string' || normalizeInputText(prompt) !== want) continue;
    const path = signal.payload.transcript_path;
    submit = {
      at: signal.at,
      transcript:
        signal.agent === 'claude' && typeof path === 'string' && signal.transcriptSize !== undefined
          ? { path, offset: signal.transcriptSize }
          : null,
      turnEndedAt: null,
    };
  }
  return submit;
}

export interface CourierOptions {
  log?: (line: string) => void;
  /** Only these tasks (a CLI delivering its own input while no daemon runs). */
  only?: ReadonlySet<number>;
}

/**
 * Delivers every task's open inputs, one task's in order, tasks side by side. The daemon pokes it
 * after each pass; a CLI with no daemon runs one for its own task. A worker per task lives while
 * the task has an open input, waiting out deferrals itself.
 */
export class Courier {
  private readonly workers = new Map<number, Promise<void>>();
  private stopping = false;
  private readonly me = { pid: process.pid, start: processStartTime(process.pid) ?? '' };
  private readonly log: (line: string) => void;
  /** Answers pressed as keys on a dialog (mode `keys`). */
  private readonly keys: AnswerKeys;
  /** Inputs for which a restored prompt of holdfast's own was cleared once already. */
  private readonly cleared = new Set<number>();
  /** A `submitted` input's transcript read so far (complete lines), so each look reads only what is new. */
  private readonly transcriptRead = new Map<number, number>();

  constructor(
    private readonly rt: Runtime,
    private readonly options: CourierOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.keys = new AnswerKeys(rt, {
      screen: (task) => this.screen(task),
      move: (task, input, state, patch, entry, also) => this.move(task, input, state, patch, entry, also),
      fail: (task, input, reason) => this.fail(task, input, reason),
      defer: (task, input, why, retryMs) => this.defer(task, input, why, retryMs),
      humanWait: (task) => this.humanWait(task),
      queueIn: (store, task, text, at) => {
        queueInputIn(store, task, text, 'answer', at);
      },
      log: this.log,
    });
  }

  /** Starts a worker for each task with an open input that has none. */
  poke(): void {
    if (this.stopping) return;
    for (const taskId of this.rt.store.inputs.openTaskIds()) {
      if (this.options.only && !this.options.only.has(taskId)) continue;
      if (this.workers.has(taskId)) continue;
      const work = this.work(taskId)
        .catch((error) =>
          this.log(`delivery for task ${taskId}: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => this.workers.delete(taskId));
      this.workers.set(taskId, work);
    }
  }

  get idle(): boolean {
    return this.workers.size === 0;
  }

  /** Lets inputs under way finish their step (bounded), starts no new one. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    // The bound's timer is cleared as soon as the workers end: a pending one kept the daemon's
    // process alive for the whole bound after it had stopped (`daemon stop` took 5 s).
    const ended = new AbortController();
    const workers = Promise.all(this.workers.values()).finally(() => ended.abort());
    await Promise.race([workers, sleep(timeoutMs, ended.signal)]);
  }

  private async work(taskId: number): Promise<void> {
    const { store } = this.rt;
    while (!this.stopping) {
      const task = store.tasks.byId(taskId);
      const open = task ? store.inputs.open(taskId) : [];
      // An answer first: the dialog it answers stands between the agent and any typed input.
      const input = open.find((i) => i.mode === 'keys') ?? open[0];
      if (!task || !input) return;
      if (!this.claim(input)) {
        // Another live deliverer (a CLI while the daemon was down, or the other way round) holds it.
        await sleep(250);
        continue;
      }
      const wait =
        input.mode === 'pane'
          ? await this.pane(task, input)
          : input.mode === 'keys'
            ? await this.keys.step(task, input, liveRun(this.rt, task))
            : await this.resume(task, input);
      if (wait > 0) await sleep(wait);
    }
  }

  /** Makes this process the input's deliverer, unless a live one holds it. */
  private claim(input: InputRecord): boolean {
    if (input.ownerPid === this.me.pid && input.ownerStart === this.me.start) return true;
    return this.rt.store.tx(() => {
      const now = this.rt.store.inputs.byId(input.id);
      if (!now || now.state !== input.state) return false;
      if (
        now.ownerPid !== null &&
        !(now.ownerPid === this.me.pid && now.ownerStart === this.me.start) &&
        isRunning(now.ownerPid, now.ownerStart ?? '')
      )
        return false;
      if (
        !this.rt.store.inputs.update(
          input.id,
          input.state,
          { ownerPid: this.me.pid, ownerStart: this.me.start },
          this.rt.now(),
        )
      )
        return false;
      input.ownerPid = this.me.pid;
      input.ownerStart = this.me.start;
      return true;
    });
  }

  // ------------------------------------------------------------------------------------------ pane

  /** One step of a pane input; how long to wait before the next. */
  private async pane(task: TaskRecord, input: InputRecord): Promise<number> {
    const run = liveRun(this.rt, task);
    const signals = this.rt.paths.signalsFile(task.name);
    if (input.state === 'submitted') return this.kept(task, input);
    if (input.state !== 'queued') {
      const submit =
        input.signalsOffset === null ? null : findSubmit(signals, input.signalsOffset, input.text);
      if (submit) return this.submitted(task, input, submit);
    }
    if (input.state === 'queued') {
      if (!run) return this.defer(task, input, 'not-ready', 200);
      const gate = await this.gate(task, input);
      if (gate) return this.defer(task, input, gate.why, gate.retryMs);
      return this.send(task, input, run);
    }
    if (input.state === 'sending') return this.resumeSending(task, input, run);
    return this.resumeSent(task, input, run);
  }

  /** Why a queued input must wait now, and how long before looking again; null: go. */
  private async gate(
    task: TaskRecord,
    input: InputRecord,
  ): Promise<{ why: DeferReason; retryMs: number } | null> {
    const human = await this.humanWait(task);
    if (human > 0) return { why: 'human-typing', retryMs: human };
    let screen = await this.screen(task);
    let composer = readComposer(agentOf(task), screen);
    if (composer.kind === 'none') return { why: 'not-ready', retryMs: 200 };
    if (composer.kind === 'draft' && (await this.clearOwnPrompt(task, input, composer, screen))) {
      screen = await this.screen(task);
      composer = readComposer(agentOf(task), screen);
    }
    if (composer.kind === 'draft') return { why: 'draft', retryMs: 500 };
    if (!input.now && workingOnScreen(screen)) return { why: 'busy', retryMs: 200 };
    return null;
  }

  /** How long until a human's keyboard has been quiet for HUMAN_QUIET_MS (≤ 1 s a look); 0: it has. */
  private async humanWait(task: TaskRecord): Promise<number> {
    const now = this.rt.now();
    const lastKey = Math.max(0, ...(await this.rt.tmux.clientActivity(task.name)));
    return now - lastKey < HUMAN_QUIET_MS ? Math.min(1000, lastKey + HUMAN_QUIET_MS - now + 50) : 0;
  }

  /**
   * §2: after an Esc interrupt claude puts the interrupted prompt back in the composer, where the
   * next text would merge with it. A draft that is exactly holdfast's own last input is that
   * prompt: cleared (Escape, 0.5 s, Escape), once per input. Any other draft is a human's: kept.
   * Codex does not put it back, and Escape twice there goes back in its history: not pressed.
   */
  private async clearOwnPrompt(
    task: TaskRecord,
    input: InputRecord,
    composer: Composer,
    screen: string,
  ): Promise<boolean> {
    const agent = agentOf(task);
    if (agent !== 'claude' || this.cleared.has(input.id) || workingOnScreen(screen)) return false;
    const last = this.rt.store.inputs
      .forTask(task.id)
      .filter((i) => i.mode === 'pane' && i.state === 'confirmed' && i.id !== input.id)
      .at(-1);
    if (!last || !composerHoldsExactly(composer, pastedText(last.text))) return false;
    this.cleared.add(input.id);
    this.log(`${task.name}: the composer holds input ${last.id} again (an interrupt put it back): cleared`);
    await this.rt.tmux.sendKeys(target(task), ['Escape']);
    await sleep(ESC_ESC_MS);
    await this.rt.tmux.sendKeys(target(task), ['Escape']);
    // The TUI redraws the cleared composer shortly after.
    for (const until = Date.now() + 1000; Date.now() < until; ) {
      if (readComposer(agent, await this.screen(task)).kind === 'empty') break;
      await sleep(50);
    }
    return true;
  }

  private async send(task: TaskRecord, input: InputRecord, run: RunRecord): Promise<number> {
    const buffer = `hf-in-${input.id}-${randomBytes(4).toString('hex')}`;
    const offset = fileSize(this.rt.paths.signalsFile(task.name));
    const moved = this.move(task, input, 'sending', {
      runId: run.id,
      signalsOffset: offset,
      buffer,
      sendingAt: this.rt.now(),
      deferred: null,
    });
    if (!moved) return 0;
    if (!(await this.paste(task, input, buffer))) return this.requeue(task, input);
    return this.enter(task, input);
  }

  /**
   * Pastes the input, only while the task's live run is still the one it is recorded as typed
   * into: a run that ended while this deliverer looked at the screen (or waited out a takeover)
   * has its pane respawned for the next run, which a paste by the session's name would reach,
   * to be journaled, confirmed or failed under the old run. False: not pasted.
   */
  private async paste(task: TaskRecord, input: InputRecord, buffer: string): Promise<boolean> {
    if (!this.onRun(task, input.runId)) return false;
    await this.rt.tmux.loadBuffer(buffer, pastedText(input.text));
    if (!this.onRun(task, input.runId)) return false;
    await this.rt.tmux.pasteBuffer(buffer, target(task));
    return true;
  }

  /** After the paste: ≥ 300 ms, the text checked in the composer, `sent`, Enter, then confirm. */
  private async enter(task: TaskRecord, input: InputRecord): Promise<number> {
    await sleep(PASTE_SETTLE_MS);
    const agent = agentOf(task);
    let composer: Composer = { kind: 'none' };
    // Until the paste is drawn: a loaded TUI drew it more than 300 ms late (the real claude, right
    // after a turn ended), and failing on the empty composer left the text there, typed, unsent.
    for (const until = Date.now() + SECOND_ENTER_MS; ; ) {
      // A run that ended meanwhile took the paste with it; the pane may show the next run's
      // empty composer, which is no reason to fail the input: the next run gets it.
      if (!this.onRun(task, input.runId)) return this.requeue(task, input);
      composer = readComposer(agent, await this.screen(task));
      if (composerHolds(agent, composer, pastedText(input.text)) || Date.now() >= until) break;
      await sleep(100);
    }
    if (!composerHolds(agent, composer, pastedText(input.text))) {
      // Not pressing Enter on what is there: it is not (only) this text.
      const shown =
        composer.kind === 'draft' ? 'other text' : composer.kind === 'empty' ? 'nothing' : 'no prompt box';
      return this.fail(task, input, `after the paste the composer held ${shown}: not submitted`);
    }
    // The TUI it was pasted into has gone (nothing was submitted): the next run gets it, once.
    if (!this.onRun(task, input.runId)) return this.requeue(task, input);
    const sentAt = this.rt.now();
    const waitedMs = sentAt - input.createdAt;
    if (
      !this.move(
        task,
        input,
        'sent',
        { sentAt, enters: 1 },
        event('input-sent', { input: input.id, run: runNumber(this.rt, input.runId), waitedMs }),
      )
    )
      return 0;
    await this.rt.tmux.sendKeys(target(task), ['Enter']);
    return this.awaitConfirmation(task, input, Date.now());
  }

  /** Polls for the agent's submit; one more Enter after ~2 s if the text is still in the composer. */
  private async awaitConfirmation(task: TaskRecord, input: InputRecord, enteredAt: number): Promise<number> {
    const signals = this.rt.paths.signalsFile(task.name);
    const offset = input.signalsOffset ?? 0;
    const agent = agentOf(task);
    let lastEnter = enteredAt;
    for (;;) {
      const submit = findSubmit(signals, offset, input.text);
      if (submit) return this.submitted(task, input, submit);
      const since = Date.now() - lastEnter;
      const current = this.rt.store.tasks.byId(task.id);
      const run = current ? liveRun(this.rt, current) : null;
      if (!run || run.id !== input.runId) {
        // One last look: the hook may have written just before the agent went (then its
        // transcript says whether it kept the input).
        const late = findSubmit(signals, offset, input.text);
        if (late) return this.submitted(task, input, late);
        return this.fail(task, input, 'the agent exited before it confirmed the input');
      }
      if (input.enters < 2 && since >= SECOND_ENTER_MS) {
        const composer = readComposer(agent, await this.screen(task));
        if (composerHolds(agent, composer, pastedText(input.text))) {
          if (!this.move(task, input, 'sent', { enters: 2 })) return 0;
          await this.rt.tmux.sendKeys(target(task), ['Enter']);
          lastEnter = Date.now();
          continue;
        }
      }
      if (since >= CONFIRM_TIMEOUT_MS) {
        const composer = readComposer(agent, await this.screen(task));
        const still = composerHolds(agent, composer, pastedText(input.text));
        return this.fail(
          task,
          input,
          `not confirmed by the agent ${Math.round(since / 1000)} s after Enter${still ? ' (the text is still in its composer)' : ''}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** A `sending` input whose deliverer died: find out whether the paste happened before going on. */
  private async resumeSending(task: TaskRecord, input: InputRecord, run: RunRecord | null): Promise<number> {
    if (!run || run.id !== input.runId) return this.requeue(task, input);
    await sleep(TAKEOVER_SETTLE_MS);
    const signals = this.rt.paths.signalsFile(task.name);
    const submit = findSubmit(signals, input.signalsOffset ?? 0, input.text);
    if (submit) return this.submitted(task, input, submit);
    // The run may have ended during the settle and its pane been respawned for the next run: what
    // the pane shows now is not the TUI the input was being typed into.
    if (!this.onRun(task, input.runId)) return this.requeue(task, input);
    if (input.buffer !== null && (await this.rt.tmux.hasBuffer(input.buffer))) {
      // Loaded, never pasted (a paste deletes it).
      if (!this.onRun(task, input.runId)) return this.requeue(task, input);
      await this.rt.tmux.pasteBuffer(input.buffer, target(task));
      this.log(`${task.name}: input ${input.id} was loaded but not pasted: pasted now`);
      return this.enter(task, input);
    }
    const agent = agentOf(task);
    const composer = readComposer(agent, await this.screen(task));
    if (composerHolds(agent, composer, pastedText(input.text))) return this.enter(task, input);
    if (composer.kind === 'empty') {
      // Nothing arrived: the paste never ran. Pasted now, under a new buffer name.
      const buffer = `hf-in-${input.id}-${randomBytes(4).toString('hex')}`;
      if (!this.move(task, input, 'sending', { buffer })) return 0;
      input.buffer = buffer;
      if (!(await this.paste(task, input, buffer))) return this.requeue(task, input);
      return this.enter(task, input);
    }
    if (composer.kind === 'none') return 200;
    return this.fail(
      task,
      input,
      'the delivery was interrupted and the composer holds other text: not sent again',
    );
  }

  /** A `sent` input whose deliverer died: its Enter may or may not have been taken. */
  private async resumeSent(task: TaskRecord, input: InputRecord, run: RunRecord | null): Promise<number> {
    if (!run || run.id !== input.runId) {
      const submit = findSubmit(this.rt.paths.signalsFile(task.name), input.signalsOffset ?? 0, input.text);
      if (submit) return this.submitted(task, input, submit);
      return this.fail(task, input, 'the agent exited before it confirmed the input');
    }
    await sleep(TAKEOVER_SETTLE_MS);
    // From the takeover, not from the dead deliverer's Enter: its clock ran in another process.
    const enteredAt =
      Date.now() - (input.enters >= 2 ? SECOND_ENTER_MS : SECOND_ENTER_MS - TAKEOVER_SETTLE_MS);
    return this.awaitConfirmation(task, input, enteredAt);
  }

  /**
   * The agent took the input. With no transcript to look in (codex) that is the confirmation;
   * claude's is `submitted` (recorded with its transcript and offset, for whoever looks next) until
   * `kept` finds its user line there.
   */
  private submitted(task: TaskRecord, input: InputRecord, submit: Submit): number {
    if (submit.transcript === null) return this.confirm(task, input, submit.at);
    const patch: InputPatch = {
      submittedAt: submit.at,
      transcript: submit.transcript.path,
      transcriptOffset: submit.transcript.offset,
    };
    if (!this.move(task, input, 'submitted', patch)) return 0;
    return this.kept(task, input);
  }

  /**
   * One look at a `submitted` input: its transcript past what was read, its run and the run's TUI,
   * the signals for a turn's end; `settleSubmitted` says what that means. How long until the next.
   */
  private kept(task: TaskRecord, input: InputRecord): number {
    const now = this.rt.now();
    const from = this.transcriptRead.get(input.id) ?? input.transcriptOffset ?? 0;
    const read =
      input.transcript === null ? { lines: [], next: from } : readForeignLines(input.transcript, from);
    this.transcriptRead.set(input.id, read.next);
    const inTranscript = transcriptKeeps(read.lines, input.text);
    const run = input.runId === null ? null : this.rt.store.runs.byId(input.runId);
    const live = run !== null && run.endedAt === null;
    const submit = findSubmit(this.rt.paths.signalsFile(task.name), input.signalsOffset ?? 0, input.text);
    // The turn's end: its Stop line, or the agent idle again since (an Esc interrupt fires no hook).
    const tui = this.rt.store.tasks.byId(task.id)?.tui ?? null;
    const idleAt =
      tui?.activity === 'idle' && !tui.turnInFlight && (tui.activitySince ?? 0) > (input.submittedAt ?? now)
        ? tui.activitySince
        : null;
    const ends = [submit?.turnEndedAt ?? null, idleAt].filter((at): at is number => at !== null);
    const verdict = settleSubmitted(
      {
        inTranscript,
        runEndedAt: live ? null : (run?.endedAt ?? 0),
        writerAlive: !live && run !== null && pidAlive(run.taskPid ?? run.pid),
        turnEndedAt: ends.length > 0 ? Math.min(...ends) : null,
        requeues: input.requeues,
      },
      now,
    );
    if (verdict.kind === 'wait') return KEPT_POLL_MS;
    this.transcriptRead.delete(input.id);
    if (verdict.kind === 'confirm') return this.confirm(task, input, now, verdict.by);
    if (verdict.kind === 'fail') return this.fail(task, input, verdict.reason);
    this.log(`${task.name}: input ${input.id} ${verdict.reason}: queued again for the next run`);
    this.move(
      task,
      input,
      'queued',
      {
        buffer: null,
        runId: null,
        signalsOffset: null,
        sendingAt: null,
        sentAt: null,
        enters: 0,
        submittedAt: null,
        transcript: null,
        transcriptOffset: null,
        requeues: input.requeues + 1,
      },
      event('input-requeued', {
        input: input.id,
        run: runNumber(this.rt, input.runId),
        reason: verdict.reason,
      }),
    );
    return 0;
  }

  /** A `sending` input whose TUI is gone, and with it anything pasted (no Enter was pressed): queued again. */
  private requeue(task: TaskRecord, input: InputRecord): number {
    this.move(task, input, 'queued', { buffer: null, runId: null, signalsOffset: null, sendingAt: null });
    return 0;
  }

  /** Whether the task's live run, read now, is `runId` (its pane carries that run). */
  private onRun(task: TaskRecord, runId: number | null): boolean {
    const current = this.rt.store.tasks.byId(task.id);
    const run = current ? liveRun(this.rt, current) : null;
    return run !== null && run.id === runId;
  }

  private async screen(task: TaskRecord): Promise<string> {
    try {
      return await this.rt.tmux.capturePane(target(task));
    } catch {
      return '';
    }
  }

  // --------------------------------------------------------------------------------------- headless

  /** A headless agent: its next run resumes with the text, once its current run has ended. */
  private async resume(task: TaskRecord, input: InputRecord): Promise<number> {
    const { store } = this.rt;
    if (input.state === 'sent') {
      const current = task.currentRunId === null ? null : store.runs.byId(task.currentRunId);
      if (current && current.id !== input.runId && current.prompt === input.text)
        return this.confirm(task, input, current.startedAt, 'resume');
      if (store.intents.forTask(task.id).some((i) => i.intent.kind === 'resume')) return 200;
      return this.fail(task, input, `the resume was not carried out (the task is ${task.state})`);
    }
    const intent: Intent = { kind: 'resume', prompt: input.text, now: false, unattended: false };
    const asked = store.tx(() => {
      const t = store.tasks.byId(task.id);
      if (!t) return false;
      const run = t.currentRunId === null ? null : store.runs.byId(t.currentRunId);
      try {
        checkIntent(t, run, intent);
      } catch {
        return false;
      }
      if (run && run.endedAt === null) return false;
      const at = this.rt.now();
      if (
        !store.inputs.update(
          input.id,
          'queued',
          { state: 'sent', runId: t.currentRunId, sentAt: at, deferred: null },
          at,
        )
      )
        return false;
      store.intents.add(t.id, intent, at);
      store.events.record(
        { taskId: t.id, taskName: t.name, runId: t.currentRunId, at },
        event('input-sent', { input: input.id, run: run?.n ?? null, waitedMs: at - input.createdAt }),
      );
      return true;
    });
    if (!asked) return this.defer(task, input, 'busy', 250);
    const seen = task.currentRunId;
    await carryOut(
      this.rt,
      [task.id],
      () => {
        const t = store.tasks.byId(task.id);
        return !t || (t.currentRunId !== seen && store.intents.forTask(t.id).length === 0);
      },
      20_000,
    );
    return 0;
  }

  // ---------------------------------------------------------------------------------------- records

  private defer(task: TaskRecord, input: InputRecord, why: DeferReason, retryMs: number): number {
    if (input.deferred !== why) {
      this.move(
        task,
        input,
        input.state,
        { deferred: why },
        event('input-deferred', { input: input.id, why }),
      );
      this.log(`${task.name}: input ${input.id} waits: ${DEFER_TEXT[why]}`);
    }
    return Math.max(retryMs, 20);
  }

  private confirm(task: TaskRecord, input: InputRecord, at: number, by = 'UserPromptSubmit'): number {
    const now = this.rt.now();
    const confirmedAt = Math.min(Math.max(at, input.createdAt), now);
    this.move(
      task,
      input,
      'confirmed',
      { confirmedAt, deferred: null },
      event('input-confirmed', {
        input: input.id,
        latencyMs: confirmedAt - input.createdAt,
        sentMs: input.sentAt === null ? 0 : Math.max(0, confirmedAt - input.sentAt),
        enters: input.enters,
        by,
      }),
    );
    return 0;
  }

  private fail(task: TaskRecord, input: InputRecord, reason: string): number {
    this.move(
      task,
      input,
      'failed',
      { reason, deferred: null },
      event('input-failed', { input: input.id, reason }),
    );
    this.log(`${task.name}: input ${input.id} failed: ${reason}`);
    return 0;
  }

  /**
   * Moves the input to `state` with `patch` (and a journal entry) if it is still as this deliverer
   * last saw it; false when another deliverer moved it meanwhile.
   */
  private move(
    task: TaskRecord,
    input: InputRecord,
    state: InputState,
    patch: InputPatch,
    entry?: JournalDraft | JournalDraft[],
    also?: (at: number) => void,
  ): boolean {
    const { store } = this.rt;
    const done = store.tx(() => {
      const at = this.rt.now();
      if (!store.inputs.update(input.id, input.state, { ...patch, state }, at)) return false;
      for (const e of entry === undefined ? [] : Array.isArray(entry) ? entry : [entry])
        store.events.record(
          { taskId: task.id, taskName: task.name, runId: patch.runId ?? input.runId, at },
          e,
        );
      also?.(at);
      return true;
    });
    if (done) Object.assign(input, patch, { state });
    return done;
  }
}

function target(task: TaskRecord): string {
  return `=${task.name}:`;
}

function agentOf(task: TaskRecord): InteractiveAgent {
  return task.spec.agent?.kind === 'codex' ? 'codex' : 'claude';
}

/** The task's current run while its pane is up (launched, not ended). */
function liveRun(rt: Runtime, task: TaskRecord): RunRecord | null {
  if (task.currentRunId === null) return null;
  const run = rt.store.runs.byId(task.currentRunId);
  return run && run.endedAt === null && run.pid !== null ? run : null;
}

/** Whether `pid` is still there (a run's TUI, which may still be writing its transcript). */
function pidAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runNumber(rt: Runtime, runId: number | null): number | null {
  return runId === null ? null : (rt.store.runs.byId(runId)?.n ?? null);
}
