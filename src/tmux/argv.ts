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

/**
 * Makes text shown through a user option (`#{@hf_status}` in the status line) appear as it is. The
 * option's value is not expanded again, so `#(…)` never runs, but the status line reads `#[…]` in
 * it as a style and `##` as one `#`: every `#` is doubled. One line, no control characters (they
 * would move the terminal's cursor), and at most `max` characters.
 */
export function statusLiteral(text: string, max = 120): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  const cut = [...line].length > max ? `${[...line].slice(0, max - 1).join('')}…` : line;
  return cut.replaceAll('#', '##');
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
