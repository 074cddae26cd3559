import { Command, CommanderError } from 'commander';
import { setUserUmask } from './action.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('holdfast')
    .description('Keeps long-running work alive: commands and coding agents in tmux, supervised.')
    .version('0.1.0')
    .enablePositionalOptions()
    .showHelpAfterError('(run holdfast --help for usage)');
  for (const command of COMMANDS) command.register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Everything holdfast writes (store, logs, env files) is private; tasks get the user's own umask back.
  setUserUmask(process.umask(0o077));
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    throw error;
  }
}
