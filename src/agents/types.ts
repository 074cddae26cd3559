/**
 * The contract every agent adapter implements. Adapters are pure: they build argv, read JSON
 * lines and text, and judge how a run ended. The supervisor does all I/O around them.
 */
import type { ExitVerdict, ResetResolution } from '../core/lifecycle.js';

export type AgentKind = 'claude' | 'codex' | 'opencode' | 'gemini' | 'pi' | 'amp';

export interface LaunchInput {
  /** The conversation to continue or the id to pre-assign; null when the agent picks it (codex, amp, opencode). */
  sessionId: string | null;
  /** true: continue the conversation `sessionId` names; false: a fresh conversation. */
  resume: boolean;
  cwd: string;
  model: string | null;
  unattended: boolean;
  extraArgs: readonly string[];
  /** Whether cwd is inside a git work tree (codex needs --skip-git-repo-check outside one). */
  inGitRepo: boolean;
  /** A label unique to this run (opencode `--title`, used to find the session if it dies early). */
  runLabel: string;
  /** The program to run (default: the adapter's `binary`; tests point it at a fixture). */
  program: string;
}

/** An interactive launch: the TUI in the pane, pointed at holdfast's per-task files in `agentDir`. */
export interface InteractiveLaunchInput {
  /** claude: the id pre-assigned or resumed; codex: the thread id to resume (null: a fresh thread). */
  sessionId: string | null;
  resume: boolean;
  model: string | null;
  unattended: boolean;
  extraArgs: readonly string[];
  program: string;
  /** `paths.agentDir(task)`: claude's `settings.json`, codex's `codex-home/`. */
  agentDir: string;
}

/** What an interactive agent's per-task files need to know. */
export interface AgentFilesInput {
  /** The hook program's argv up to the agent's name: `node <hook> <home> <task> <task-id> <agent>`. */
  hook: readonly string[];
  cwd: string;
  /** Whether the cwd's folder trust is pre-accepted in a file holdfast owns (codex: its config). */
  trust: boolean;
  /** The task has approval rules (`--allow`, `--deny`): the agent must ask holdfast's hook. */
  hasRules: boolean;
  /** The user's own agent home in the task's creating environment (codex: `$CODEX_HOME` or `~/.codex`). */
  userHome: string;
  /** The text of a file in `userHome` (null: absent); read only, never written. */
  readUserFile(name: string): string | null;
}

export interface InteractiveAdapter {
  launch(input: InteractiveLaunchInput): AgentLaunch;
  /** The files written under `agentDir` before each launch, by relative path. */
  files(input: AgentFilesInput): Record<string, string>;
  /** Symbolic links made under `agentDir` (relative path → absolute target): files the agent itself writes. */
  links?(input: AgentFilesInput): Record<string, string>;
}

export interface AgentLaunch {
  argv: string[];
  /** Added to the environment of the run: never secrets (they pass through argv of the launcher). */
  env: Record<string, string>;
}

/** What one line of agent output says, normalised across agents. */
export type AgentEvent =
  /**
   * `newer`: the line states the session this run writes to (an init line), so it replaces an id
   * already known; without it the id is only taken when none is known yet.
   */
  | { type: 'session'; id: string; newer?: boolean }
  /** `delta`: one piece of a message streamed in pieces (gemini), to be joined with the pieces before it. */
  | { type: 'assistant'; text: string; delta?: boolean }
  /** `id`: the agent's id for the call, when its result will come as a line of its own (the call is then in flight). */
  | { type: 'tool-call'; name: string; input: string; id?: string }
  | { type: 'tool-result'; text: string; isError: boolean; id?: string }
  | { type: 'turn' }
  | { type: 'result'; ok: boolean; text: string | null; turns: number | null; costUsd: number | null }
  /** `resolution` of `resetAt`: absent for an exact time (an epoch), `minute` for a time printed without seconds. */
  | { type: 'usage-limit'; resetAt: number | null; detail: string; resolution?: ResetResolution }
  | { type: 'auth-failed'; detail: string }
  | { type: 'conversation-missing'; detail: string }
  /**
   * A tool call the agent's permission system refused because nobody could approve it (headless
   * runs cannot ask). Mapped where a headless format says so:
   * - claude: the `result` line's `permission_denials` (`tool_name`, `tool_use_id`, `tool_input`),
   *   the SDK's result message; the run still reports `subtype:"success"`.
   * - codex: none. `exec` runs with approval policy `never` (codex-rs/exec), so nothing waits for an
   *   approval; a command its sandbox blocks is an ordinary failed `command_execution`.
   * - gemini, opencode, pi, amp: no denial or "approval required" signal is documented or recorded
   *   for their headless output (docs/AGENT-CLIS.md, the fake-agent README), so none is mapped.
   */
  | { type: 'permission-denied'; tool: string; input: string }
  | { type: 'error'; message: string }
  | { type: 'stop-reason'; reason: string };

/** Everything learnt from a run's output so far; folded line by line, so it can be kept and continued. */
export interface TranscriptSummary {
  sessionId: string | null;
  lastAssistant: string | null;
  turns: number;
  costUsd: number | null;
  /** The agent's own final verdict, when it gives one. */
  result: 'success' | 'error' | null;
  usageLimit: { resetAt: number | null; detail: string; resolution?: ResetResolution } | null;
  authFailed: string | null;
  conversationMissing: boolean;
  /** Tool calls refused for want of permission, in order (absent in summaries stored before it existed). */
  permissionDenials?: { tool: string; input: string }[];
  lastError: string | null;
  stopReason: string | null;
  /** Ids of tool calls started and not yet answered: while there are any, a silent agent is working, not stuck. */
  toolsInFlight?: string[];
  /** The last event was a piece of a streamed assistant message, so the next piece extends `lastAssistant`. */
  assistantOpen?: boolean;
}

export interface AgentAdapter {
  kind: AgentKind;
  /** The executable of the published CLI. */
  binary: string;
  /** The agent's npm package, pinned for the opt-in real-CLI suite. */
  npmPackage: string;
  /** Whether holdfast chooses the session id before launch (claude, gemini: a uuid; pi: a file path). */
  preassignsSession: boolean;
  /** Environment that disables self-updaters and other surprises in unattended runs. */
  quietEnv: Record<string, string>;
  launch(input: LaunchInput): AgentLaunch;
  /** The TUI in the pane (`run --interactive`); absent for agents whose TUI gives no signals holdfast can verify. */
  interactive?: InteractiveAdapter;
  /**
   * Reads one output line (JSON or plain text). `now` resolves relative reset times such as "12:31pm";
   * `timeZone` (IANA name or `local`, the default) is the zone of wall times printed without one
   * (codex prints the machine's local time).
   */
  parseLine(line: string, now: number, timeZone?: string): AgentEvent[];
  /** How a run ended, from what its output said and its exit status. */
  classify(summary: TranscriptSummary, exit: { exitCode: number | null; signal: string | null }): ExitVerdict;
  /** One line of readable transcript for `holdfast follow`, or null to show nothing for this event. */
  render(event: AgentEvent): string | null;
}
