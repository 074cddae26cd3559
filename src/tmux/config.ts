/** The config file of the private server: no user config is read, dead panes stay, every death is written down. */
export const EVENTS_FILE_ENV = 'HOLDFAST_EVENTS_FILE';

/**
 * holdfast's own second prefix, next to tmux's usual C-b: from inside the user's own tmux, C-b
 * belongs to that outer tmux (C-b d would detach the user's own client), while C-] reaches ours.
 */
export const HOLDFAST_PREFIX = 'C-]';

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
    `set -g status-right "holdfast - detach: ${HOLDFAST_PREFIX} d"`,
    `set-hook -g pane-died { ${hook}${respawn} }`,
    '',
  ].join('\n');
}
