/**
 * The CLI's entry: bin/holdfast.js runs its bundle, dist/cli/start.js. `--version` is answered
 * here, before the program, commander and the command table are loaded (issue 14); so is
 * `ls --json` when the daemon answers it on its socket (cli/ask-daemon.ts), and the daemon itself
 * goes in by cli/daemon-run.ts. Everything else is the program's, in its own chunk.
 */
import { VERSION } from '../version.js';

const words = process.argv.slice(2);
if (words[0] === '--version' || words[0] === '-V') {
  process.stdout.write(`${VERSION}\n`);
} else if (isDaemonRun(words)) {
  await (await import('./daemon-run.js')).daemonRunMain(words);
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

/** The words the watchdog (libexec/watchdog.sh) and the systemd unit (supervisor/startup.ts) use. */
function isDaemonRun(words: readonly string[]): boolean {
  return (
    words[0] === 'daemon' &&
    words[1] === 'run' &&
    (words.length === 2 || (words.length === 3 && words[2] === '--no-watchdog'))
  );
}
