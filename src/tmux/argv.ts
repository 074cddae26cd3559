/**
 * tmux parses its argv into a command list: an argument ending in `;` ends a command, and a
 * trailing `\;` becomes `;`. Inserting a backslash before a trailing `;` makes tmux hand the
 * argument through byte for byte (checked against `cmd_parse_from_arguments` in tmux 3.3).
 */
export function escapeTmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
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
