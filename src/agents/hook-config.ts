/**
 * The hook configuration holdfast gives an interactive agent: Claude's `--settings` file and
 * Codex's `hooks.json` share one schema (docs/INTERACTIVE.md §3), each event running the hook
 * program (`hook/main.ts`) with the task's home, name, id and agent.
 */

/** The events whose payloads tell the state (§3): fired interactively by both TUIs. */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'Notification',
  'Stop',
  'StopFailure',
  'SessionEnd',
] as const;

/** A PermissionRequest hook may wait for the user's answer: a day, not the agents' 60 s default. */
const HOOK_TIMEOUT_S = 86_400;

/** One argument for a POSIX shell, quoted so it reaches the program byte for byte. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `{"hooks": {<Event>: [{matcher: "", hooks: [{type: "command", command, timeout}]}]}}` */
export function hooksObject(hook: readonly string[]): Record<string, unknown> {
  const command = hook.map(shellQuote).join(' ');
  return Object.fromEntries(
    HOOK_EVENTS.map((name) => [
      name,
      [{ matcher: '', hooks: [{ type: 'command', command, timeout: HOOK_TIMEOUT_S }] }],
    ]),
  );
}

/** A TOML basic string: JSON's escapes are TOML's for every string JSON.stringify produces. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\x7f/g, '\\u007f');
}
