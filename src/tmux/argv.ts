/**
 * tmux parses its argv into a command list: an argument ending in `;` ends a command, and a
 * trailing `\;` becomes `;`. Inserting a backslash before a trailing `;` makes tmux hand the
 * argument through byte for byte (checked against `cmd_parse_from_arguments` in tmux 3.3).
 */
export function escapeTmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/**
 * Makes a value reach tmux literally where tmux expands formats in it (`-c`, `pipe-pane`,
 * `run-shell`, `display-message` text, `set-option -F`): `#(…)` would run a shell command, `#{…}`
 * substitute a value. `##` is tmux's escape for one `#`, except that tmux 3.3a copies a run of `#`
 * followed by `[` as it is (a style for the status line to read), so such a run is left alone.
 */
export function escapeFormat(value: string): string {
  return value.replace(/#+(\[)?/g, (run, bracket) => (bracket ? run : run.replaceAll('#', '##')));
}

/** A directory for `-c`, which tmux format-expands: it reaches tmux literally, `;`-safe too. */
export function cwdArg(dir: string): string {
  return escapeTmuxArg(escapeFormat(dir));
}

/** Joins several tmux commands into one invocation, so tmux runs them with no output read in between. */
export function chainCommands(commands: readonly (readonly string[])[]): string[] {
  const argv: string[] = [];
  commands.forEach((command, i) => {
    if (i > 0) argv.push(';');
    argv.push(...command);
  });
  return argv;
}

/** Quotes a value for /bin/sh, for the one place tmux insists on a shell string (pipe-pane). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
