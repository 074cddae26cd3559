/**
 * What the dashboard's server and its page say to each other: the overview's rows, the live
 * socket's messages and the actions' results. Types only (no imports of Node or of the DOM), so the
 * page (src/web/ui, compiled for the browser) and the server share one definition.
 */

/** One task as the overview shows it. Times are ISO strings; the page counts them down itself. */
export interface TaskRow {
  name: string;
  state: string;
  desired: 'running' | 'stopped';
  reason: string | null;
  /** The agent kind (claude, codex, …), null for a command task. */
  agent: string | null;
  model: string | null;
  interactive: boolean;
  /** An interactive agent's activity: working, idle or waiting-input; null otherwise. */
  activity: string | null;
  /** The open question of a waiting interactive agent. */
  question: {
    id: string;
    kind: string;
    tool: string | null;
    input: string | null;
    options: string[];
    askedAt: string;
  } | null;
  /** An agent's last message, else the last line the current run printed (no escapes), or null. */
  lastLine: string | null;
  /** When the current run started, for the uptime (null while none runs). */
  startedAt: string | null;
  restarts: number;
  /** When the task starts again by itself (a backoff, a usage limit's reset), else null. */
  nextStartAt: string | null;
  /** What happens at `nextStartAt`: 'restart' (backoff) or 'resume' (usage limit); null when none. */
  nextAction: 'restart' | 'resume' | null;
  costUsd: number | null;
  mission: string | null;
  command: string[];
  cwd: string;
  updatedAt: string;
}

export interface MissionRow {
  name: string;
  title: string;
  state: string;
  reason: string | null;
  milestonesDone: number;
  milestonesTotal: number;
  updatedAt: string;
}

/** Whether a daemon holds the lease; while none does, the page shows a banner. */
export interface DaemonStatus {
  live: boolean;
  pid: number | null;
  /** Why not live: 'none' (never started), 'dead', 'stale' (alive but silent). */
  why: string | null;
}

export interface Snapshot {
  /** The newest journal entry when the snapshot was taken: a reconnecting page sends it back. */
  journalId: number;
  tasks: TaskRow[];
  missions: MissionRow[];
  daemon: DaemonStatus;
  /** The server's clock, so the page's countdowns do not depend on the laptop's. */
  now: string;
}

/** A journal entry as the page shows it. */
export interface JournalEntry {
  id: number;
  task: string | null;
  run: number | null;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

/** The pane of a task's live run, as tmux shows it (`capture-pane -e`): lines joined with \r\n. */
export interface ScreenFrame {
  task: string;
  cols: number;
  rows: number;
  cursor: { x: number; y: number };
  data: string;
}

/** Page → server, on the socket `/api/live`. */
export type ClientMessage =
  /** First message after every (re)connect: the last journal id seen (null on a first load) and the task whose screen to stream, if any. */
  { type: 'hello'; since: number | null; screen: string | null } | { type: 'screen'; task: string | null };

/** Server → page. */
export type ServerMessage =
  | ({ type: 'snapshot' } & Snapshot)
  /** Journal entries past the page's `since` (after a reconnect), then each new one. */
  | { type: 'journal'; entries: JournalEntry[] }
  /** Rows that changed (or appeared) and names that were removed. */
  | { type: 'tasks'; journalId: number; upsert: TaskRow[]; remove: string[]; now: string }
  | { type: 'missions'; missions: MissionRow[] }
  | { type: 'daemon'; daemon: DaemonStatus }
  | ({ type: 'screen' } & ScreenFrame)
  /** The task whose screen was asked for has no live pane (ended, or gone). */
  | { type: 'screen-none'; task: string; why: string };

/** The actions a page can take, each the CLI command of the same name. */
export type ActionName = 'stop' | 'restart' | 'resume' | 'rm' | 'checkpoint' | 'answer' | 'send';

/** POST /api/tasks/:name/:action's body. */
export interface ActionRequest {
  /** resume: the prompt of the resumed session. */
  prompt?: string;
  /** answer: yes, always, no or an option number. */
  choice?: string;
  /** answer with no: what the agent is told instead. */
  message?: string;
  /** send: the input. */
  text?: string;
}

/** What an action did: the CLI's exit code and its JSON result, or its one-line error. */
export interface ActionResult {
  ok: boolean;
  exitCode: number;
  /** The command line it ran, as a user would type it (shown beside the outcome). */
  command: string;
  result: unknown;
  error: string | null;
}
