/**
 * What the long-lived processes (the tmux server, the watchdog, the daemon) keep of the environment
 * of whichever holdfast call started them. They outlive that call and serve every task, so nothing
 * that belongs to one task (an API key…) may stay in them: a task's own environment reaches only its
 * pane, through its 0600 env file.
 *
 * Kept: who and where the user is (PATH, HOME, USER, LOGNAME, SHELL — tmux's shell for windows you
 * open when attached), the locale (LANG, LANGUAGE, LC_* — tmux decides UTF-8 from it), TZ (times in
 * the daemon log, clock-only reset times), TMPDIR, where files live (XDG_* — git's and the agent
 * CLIs' config and data, and holdfast's default home), where git reads its configuration for
 * checkpoints (GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, GIT_CONFIG_NOSYSTEM), and holdfast's own
 * settings (HOLDFAST_*, but not the HOLDFAST_TASK and HOLDFAST_RUN of a task that calls holdfast).
 */
const KEPT = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_NOSYSTEM',
]);
const KEPT_PREFIXES = ['LC_', 'XDG_', 'HOLDFAST_'];
/** holdfast's variables that describe one task's run or one process, not the user's settings. */
const DROPPED = new Set(['HOLDFAST_TASK', 'HOLDFAST_RUN', 'HOLDFAST_WATCHDOG_CHILD']);

export function minimalEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || DROPPED.has(name)) continue;
    if (KEPT.has(name) || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix))) kept[name] = value;
  }
  return kept;
}
