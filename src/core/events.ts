/**
 * Every kind of journal entry with the data it carries. The journal is what `holdfast events`
 * prints and what tests read, so a kind's data only ever gains fields.
 */

import type { TuiVia } from './interactive.js';
import type { RunCause, RunExit, TaskState } from './task.js';

/** What a task's own decisions and observations journal. */
export interface TaskEventData {
  created: { command: string[]; cwd: string; agent: string | null };
  started: { run: number; cause: RunCause };
  restarted: { run: number; cause: RunCause };
  'start-failed': { run: number; error: string };
  'launch-resumed': { run: number; starterPid: number | null };
  adopted: { run: number; pid: number | null; logOffset: number };
  exited: {
    run: number;
    exitCode: number | null;
    signal: string | null;
    durationMs: number;
    reason?: string;
  };
  backoff: { delayMs: number; nextStartAt: number; attempt?: number; probe?: true };
  'crash-loop-entered': { restarts: number; windowMs: number };
  'crash-loop-left': { runId: number };
  /**
   * `continues`: an interactive agent limited in its live TUI, and who continues it after the reset
   * (claude itself, holdfast for codex; `nextStartAt` is then when holdfast's continue is due).
   */
  'rate-limited': {
    resetsAt: number;
    known: boolean;
    nextStartAt: number;
    statedResetAt?: number;
    continues?: 'agent' | 'holdfast';
  };
  /** An interactive agent works again after a usage limit: it went on by itself, or after holdfast's continue. */
  'limit-lifted': { continuedBy: 'agent' | 'holdfast' };
  /** holdfast queued `text` for a TUI still limited at `dueAt` (once per limit). */
  'limit-continue': { text: string; dueAt: number };
  'conversation-lost': { runId: number };
  /**
   * A run the reboot cut short (its daemon started with no tmux server) is started again at
   * `nextStartAt`, `delayMs` after the boot (`daemon run --boot-stagger`); `by`: its restart policy
   * or `--on-boot resume`.
   */
  'boot-recovered': { run: number; by: 'restart-policy' | 'on-boot'; delayMs: number; nextStartAt: number };
  'waiting-input': { reason: string };
  succeeded: { run?: number; reason?: string };
  failed: { run?: number; reason?: string };
  stopped: { run?: number; reason?: string };
  'stop-requested': { reason?: string; timeoutMs?: number };
  /**
   * A stopped run's processes still running after it ended, by pid: holdfast ends them (SIGTERM,
   * then SIGKILL). `afterKill`: these were still running after the SIGKILL.
   */
  'stop-survivors': { run: number; pids: number[]; afterKill?: true };
  'restart-requested': Record<string, never>;
  'resume-requested': { from: TaskState; withPrompt?: true; unattended?: true };
  /** `escape`: an interactive agent's TUI is sent Escape first; `restart` follows if it stays silent. */
  stalled: { idleMs: number; action: 'restart' | 'notify' | 'escape' };
  'output-resumed': Record<string, never>;
  /**
   * The run's output stopped reaching its log (tmux's pipe process died: a full disk, a kill) past
   * `offset` bytes of it. `diskFull`: its filesystem had no room when the loss was seen.
   */
  'capture-lost': { run: number; offset: number; diskFull?: true };
  /** The run's output reaches its log again from `offset` on; what it printed in between is missing. */
  'capture-resumed': { run: number; offset: number };
  /** Retention removed these runs' log files (`--keep-runs`, or `--keep-finished` after the task ended). */
  'logs-removed': { runs: number[]; reason: 'keep-runs' | 'keep-finished' };
  'session-captured': { sessionId: string; previous: string | null };
  'session-changed': { sessionId: string; previous: string | null };
  'usage-limit-seen': { resetAt: number | null; detail: string | null };
  'permission-denied': { tools: string[]; denials: unknown[] };
  /**
   * An approval was answered, and by whom (`rule`: the task's policy, naming the rule; `user`:
   * `holdfast answer`; `dashboard`), delivered through the waiting hook or by keys on the dialog
   * (`via: screen`, also for the trust dialog).
   */
  'approval-decided': {
    questionId?: string;
    /** Set for the trust dialog (answered by keys); an approval has none. */
    kind?: 'trust';
    tool: string | null;
    input: string | null;
    behavior: 'allow' | 'deny';
    by: 'rule' | 'user' | 'dashboard';
    rule?: string;
    message?: string;
    via: 'hook' | 'screen';
  };
  checkpoint: {
    commit: string;
    id: string;
    files: number;
    insertions: number;
    deletions: number;
    reason: string;
  };
  'checkpoint-skipped': { head: string | null; reason: string };
  'checkpoints-off': { reason: string };
  removed: Record<string, never>;
  /** An input to the agent was recorded (`holdfast send`, a first prompt, a resume prompt). */
  'input-queued': { input: number; source: string; mode: string; chars: number; now?: true };
  /** It waits (core/input.ts DeferReason); journaled when the reason changes. */
  'input-deferred': { input: number; why: string };
  /** Pasted and Enter pressed (pane), or the resume asked for (resume). */
  'input-sent': { input: number; run: number | null; waitedMs: number };
  /**
   * The agent has it. `latencyMs`: from queued; `enters`: Enters pressed (2 = one more was needed);
   * `by`: what said so (`transcript`: claude's conversation kept it; `UserPromptSubmit`: codex's
   * hook carried it; `turn-end`: claude's turn ended 3 s ago with no transcript line holdfast
   * could read; `resume`: a headless run resumed with it; an answer's key: `screen`).
   */
  'input-confirmed': { input: number; latencyMs: number; sentMs: number; enters: number; by: string };
  /** Its TUI (run `run`) died after taking it, before its conversation kept it: queued again for the next run. */
  'input-requeued': { input: number; run: number | null; reason: string };
  'input-failed': { input: number; reason: string };
  /** `--trust`: the folder trust for the task's cwd is set in `file` at `key` (`changed`: holdfast wrote it; false: it was already there). */
  'trust-granted': { file: string; key: string; changed: boolean };
  /** An interactive agent's activity changed (`via`: what said so: a hook, notify or the screen). */
  activity: { activity: string; from: string | null; via: TuiVia };
  /** An interactive agent asks a question (`waiting-input` until it is answered or gone). */
  'question-asked': {
    id: string;
    kind: string;
    tool: string | null;
    input: string | null;
    via: 'hook' | 'screen';
  };
  /** The question is no longer on the agent's screen (answered, denied, or the turn went on). */
  'question-closed': { id: string; via: TuiVia };
}

/** What the daemon journals about itself and the tmux server (no task). */
export interface HostEventData {
  'daemon-started': { pid: number };
  'daemon-stopped': { pid: number };
  'server-lost': { runsEnded: number };
  'server-restarted': Record<string, never>;
}

/** A budget the user raised as the mission started or resumed, by budget key. */
export type RaisedBudgets = Record<string, { from: number | null; to: number }>;

/** What the mission runner and the mission commands journal (under `mission:<name>`). */
export interface MissionEventData {
  'mission-created': { milestones: number };
  'mission-started': { raised?: RaisedBudgets };
  'mission-resumed': { raised?: RaisedBudgets };
  'mission-session': { session: number; milestone: string; fresh: boolean };
  'mission-gate': { session: number; gate: string; run: number };
  'mission-paused': { reason: string; task?: string; hint?: string };
  'mission-done': { sessions: number };
  'milestone-done': { milestone: string; by?: string };
  'gate-passed': { run: number; exitCode: number | null; signal: string | null };
  'gate-failed': { run: number; exitCode: number | null; signal: string | null };
  /** The gate run was cut short (`reason`, e.g. `server-lost`) before it exited: run `next` replaces it. */
  'gate-interrupted': { run: number; reason: string; next: number };
}

export type EventData = TaskEventData & HostEventData & MissionEventData;
export type EventKind = keyof EventData;
export type TaskEventKind = keyof TaskEventData;
export type MissionEventKind = keyof MissionEventData;

/** One journal entry of a known kind, with its data: a discriminated union over `type`. */
export type JournalDraft<K extends EventKind = EventKind> = {
  [T in K]: { type: T; data: EventData[T] };
}[K];

/** An entry a task's decision journals. */
export type TaskEvent = JournalDraft<TaskEventKind>;
/** An entry a mission's decision or a mission command journals. */
export type MissionEvent = JournalDraft<MissionEventKind>;

/**
 * Every kind, at run time (what the README's JSON contract is checked against). Leaving one out,
 * or naming one the types do not have, fails to compile.
 */
export const EVENT_KINDS = allOf<EventKind>()([
  'created',
  'started',
  'restarted',
  'start-failed',
  'launch-resumed',
  'adopted',
  'exited',
  'backoff',
  'crash-loop-entered',
  'crash-loop-left',
  'rate-limited',
  'limit-lifted',
  'limit-continue',
  'conversation-lost',
  'boot-recovered',
  'waiting-input',
  'succeeded',
  'failed',
  'stopped',
  'stop-requested',
  'stop-survivors',
  'restart-requested',
  'resume-requested',
  'stalled',
  'output-resumed',
  'capture-lost',
  'capture-resumed',
  'logs-removed',
  'session-captured',
  'session-changed',
  'usage-limit-seen',
  'permission-denied',
  'approval-decided',
  'checkpoint',
  'checkpoint-skipped',
  'checkpoints-off',
  'removed',
  'input-queued',
  'input-deferred',
  'input-sent',
  'input-confirmed',
  'input-requeued',
  'input-failed',
  'trust-granted',
  'activity',
  'question-asked',
  'question-closed',
  'daemon-started',
  'daemon-stopped',
  'server-lost',
  'server-restarted',
  'mission-created',
  'mission-started',
  'mission-resumed',
  'mission-session',
  'mission-gate',
  'mission-paused',
  'mission-done',
  'milestone-done',
  'gate-passed',
  'gate-failed',
  'gate-interrupted',
]);

function allOf<T extends string>() {
  return <const V extends readonly T[]>(values: [Exclude<T, V[number]>] extends [never] ? V : never) =>
    values as V;
}

export function event<K extends EventKind>(type: K, data: EventData[K]): JournalDraft<K> {
  return { type, data } as JournalDraft<K>;
}

/** The journal's word on a run's end: the same for a decision and for a stray run's end. */
export function exitedEvent(run: { n: number; startedAt: number }, exit: RunExit): JournalDraft<'exited'> {
  return event('exited', {
    run: run.n,
    exitCode: exit.exitCode,
    signal: exit.signal,
    durationMs: exit.endedAt - run.startedAt,
    ...(exit.reason ? { reason: exit.reason } : {}),
  });
}
