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

/**
 * Seconds each hook may take. A PermissionRequest hook may wait for the user's answer: a day, not
 * the agents' 60 s default; codex 0.169.0 clamps SessionEnd to 3 s and warns on screen of a longer
 * one (seen with the real CLI); the others keep the agents' default.
 */
function hookTimeout(event: (typeof HOOK_EVENTS)[number]): number {
  if (event === 'PermissionRequest') return 86_400;
  return event === 'SessionEnd' ? 3 : 60;
}

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
      [
        {
          matcher: '',
          hooks: [
            {
              type: 'command',
              command,
              timeout: hookTimeout(name),
            },
          ],
        },
      ],
    ]),
  );
}

/** A TOML basic string: JSON's escapes are TOML's for every string JSON.stringify produces. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\x7f/g, '\\u007f');
}
