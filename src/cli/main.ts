import { Command, CommanderError } from 'commander';
import { HoldfastError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { COMMANDS, commandsFor, loadCommands } from './commands/index.js';
import { didYouMean } from './suggest.js';
import { setUserUmask } from './user-umask.js';

/**
 * The program with the commands `argv` needs registered (see commandsFor), or every command when
 * no argv is given.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('holdfast')
    .description('Keeps long-running work alive: commands and coding agents in tmux, supervised.')
    .version(VERSION)
    .enablePositionalOptions();
  for (const command of await loadCommands(argv ? commandsFor(argv) : COMMANDS)) command.register(program);
  return program;
}

/** Every command and subcommand, depth first, the program itself first. */
export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => allCommands(c))];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own usage errors, in holdfast's shape: its message as one line, its "did you mean"
 * (or, for a bad choice, ours) as the hint, else where the usage is.
 */
export function usageErrorOf(error: CommanderError, command: Command | null): HoldfastError {
  const [first = '', ...rest] = error.message.replace(/^error: /, '').split('\n');
  const suggestion = rest.join(' ').match(/^\(Did you mean (.*)\)$/)?.[1];
  const usage = `${command ? commandPath(command) : 'holdfast'} --help shows the usage`;
  // A value outside .choices(): said as holdfast's own validations say it, with a near choice.
  const choice = first.match(
    /^option '(-[^ ',]*)[^']*' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/,
  );
  if (choice) {
    const [, flag, value, allowed] = choice as unknown as [string, string, string, string];
    return new HoldfastError('EUSAGE', `${flag}: expected one of ${allowed}, got ${JSON.stringify(value)}`, {
      hint: didYouMean(value, allowed.split(', ')) ?? usage,
    });
  }
  return new HoldfastError('EUSAGE', first, { hint: suggestion ? `did you mean ${suggestion}` : usage });
}

/** `--json` among holdfast's own words (a task's command after `--` does not count). */
function wantsJson(argv: string[]): boolean {
  const cut = argv.indexOf('--', 2);
  return (cut === -1 ? argv.slice(2) : argv.slice(2, cut)).includes('--json');
}

export async function main(argv: string[]): Promise<void> {
  // Everything holdfast writes (store, logs, env files) is private; tasks get the user's own umask back.
  setUserUmask(process.umask(0o077));
  const program = await buildProgram(argv);
  // Settings given to the program reach only commands created after them: set them on each one.
  let failed: Command | null = null;
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({
      outputError: () => {
        failed = command;
      },
    });
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) {
      process.exitCode = 0;
      return;
    }
    // A bare `holdfast` (or `holdfast daemon`) has printed its help on stderr already.
    if (error.code !== 'commander.help') {
      // Loaded here: the output layer pulls in tmux's error mapping, which `--version` never needs.
      const { Output } = await import('./output.js');
      new Output(wantsJson(argv)).error(usageErrorOf(error, failed));
    }
    process.exitCode = 2;
  }
}
