/**
 * The CLI's entry: bin/holdfast.js runs its bundle, dist/cli/start.js. `--version` is answered
 * here, before the program, commander and the command table are loaded (issue 14); so is
 * `ls --json` when the daemon answers it on its socket (cli/ask-daemon.ts). Everything else is the
 * program's, in its own chunk.
 */
import { VERSION } from '../version.js';

const words = process.argv.slice(2);
if (words[0] === '--version' || words[0] === '-V') {
  process.stdout.write(`${VERSION}\n`);
} else {
  const answer = isLsJson(words) ? await (await import('./ask-daemon.js')).askDaemon('ls', VERSION) : null;
  if (answer !== null) {
    process.stdout.write(answer);
  } else {
    const { main } = await import('./main.js');
    await main(process.argv);
  }
}

/** `ls --json` exactly as scripts write it (`list` is its alias); any other words go to the program. */
function isLsJson(args: readonly string[]): boolean {
  return args.length === 2 && (args[0] === 'ls' || args[0] === 'list') && args[1] === '--json';
}
