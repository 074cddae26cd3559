/** The config file of the private server: no user config is read, dead panes stay, every death is written down. */
export const EVENTS_FILE_ENV = 'HOLDFAST_EVENTS_FILE';

/**
 * holdfast's own second prefix, next to tmux's usual C-b: from inside the user's own tmux, C-b
 * belongs to that outer tmux (C-b d would detach the user's own client), while C-] reaches ours.
 */
export const HOLDFAST_PREFIX = 'C-]';

/**
 * User options the status line reads. Per session: `@hf_state` (the task's state) and `@hf_status`
 * (its line, made literal by `statusLiteral`). Global: `@hf_waiting`, the names of the tasks that
 * wait for input, space-separated with a space at each end (` a b `), or empty.
 */
export const STATUS_OPTIONS = { state: '@hf_state', status: '@hf_status', waiting: '@hf_waiting' } as const;

/** The waiting tasks other than this session's own: `@hf_waiting` with ` <session> ` taken out. */
const OTHERS_WAITING = '#{s/ #{session_name} / :@hf_waiting}';

/**
 * The right of every session's status line: the task's line, a marker while another task waits for
 * input (its names), and how to detach. Values come in through `#{@…}`, never spliced in here.
 */
export const STATUS_RIGHT =
  `#{?#{${STATUS_OPTIONS.status}},#{${STATUS_OPTIONS.status}} | ,}` +
  `#{?#{m/r:[a-z0-9],${OTHERS_WAITING}},#[reverse] input wanted:${OTHERS_WAITING}#[noreverse] | ,}` +
  `detach: ${HOLDFAST_PREFIX} d`;

export interface TmuxConfigOptions {
  /**
   * A session (validated by the caller: it is spliced into the hook) whose pane is respawned, with
   * the command it was started with, when a signal kills it. An exit of its own is left alone, so a
   * program that ends on purpose (or cannot start) is not started again in a loop.
   */
  respawnOnSignal?: string;
}

export function renderTmuxConfig(options: TmuxConfigOptions = {}): string {
  // The hook's shell command reads the events path from the server's environment, so no path is
  // ever spliced into a command string. Fields: session, run id, exit status, signal, time (ms).
  const hook =
    `run-shell -b 'printf "%s|%s|%s|%s|%s\\n" "#{session_name}" "#{@hf_run}" ` +
    `"#{pane_dead_status}" "#{pane_dead_signal}" "$(date +%s%3N)" | dd of="$${EVENTS_FILE_ENV}" oflag=append,nofollow conv=notrunc status=none'`;
  const respawn = options.respawnOnSignal
    ? ` ; if -F '#{&&:#{==:#{session_name},${options.respawnOnSignal}},#{pane_dead_signal}}' ` +
      `{ respawn-pane -t '=${options.respawnOnSignal}:' }`
    : '';
  return [
    "# Written by holdfast; rewritten on every start. The user's ~/.tmux.conf is never read.",
    'set -g exit-empty off',
    'set -g exit-unattached off',
    'set -g destroy-unattached off',
    'set -g remain-on-exit on',
    'set -g history-limit 50000',
    'set -g escape-time 10',
    'set -g status-left "[hf #{session_name}] "',
    'set -g status-left-length 40',
    `set -g prefix2 ${HOLDFAST_PREFIX}`,
    `set -g status-right '${STATUS_RIGHT}'`,
    'set -g status-right-length 160',
    `set-hook -g pane-died { ${hook}${respawn} }`,
    '',
  ].join('\n');
}
