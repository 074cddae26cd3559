/**
 * `holdfast daemon run`: the daemon in the foreground. The watchdog and the systemd unit call it
 * with fixed words, which start.ts sends straight here, without commander and the command table
 * (issue 14: a daemon the watchdog starts after a `kill -9` should hold the lease within 100 ms,
 * and commander with the program cost some 15 ms of it); `daemon run` with any other words goes
 * through the program (commands/daemon.ts), which ends up here too.
 */
import { resolveHome } from '../paths.js';
import { runDaemon } from '../supervisor/daemon-start.js';
import { VERSION } from '../version.js';
import { setUserUmask } from './user-umask.js';

export interface DaemonRunOptions {
  watchdog: boolean;
  bootStaggerMs?: number;
}

/** Runs the daemon until it stops; its exit code (3: another daemon holds the lease). */
export async function daemonRun(home: string, options: DaemonRunOptions): Promise<number> {
  const exit = await runDaemon({
    home,
    watchdog: options.watchdog,
    // What the socket answers is the CLI's to say: loaded once the first pass is done.
    answers: {
      version: VERSION,
      load: async () => {
        const { lsDocument } = await import('./commands/ls.js');
        return (rt, question) => ({ ls: lsDocument })[question](rt);
      },
    },
    ...(options.bootStaggerMs === undefined ? {} : { bootStaggerMs: options.bootStaggerMs }),
  });
  if (exit.code === 3) {
    process.stderr.write(`holdfast: another daemon (pid ${exit.holder.pid}) is running for ${home}\n`);
  }
  return exit.code;
}

/** start.ts's way in: what main() and action() would do around the command, and no more. */
export async function daemonRunMain(words: readonly string[]): Promise<void> {
  // As main() does: everything holdfast writes is private; tasks get the user's own umask back.
  setUserUmask(process.umask(0o077));
  const home = resolveHome();
  try {
    process.exitCode = await daemonRun(home, { watchdog: !words.includes('--no-watchdog') });
  } catch (caught) {
    // Said as every command says an error (action.ts), which is loaded only now.
    const [{ Output }, { exitCodeOf }, { diskFullError }, { makePaths }] = await Promise.all([
      import('./output.js'),
      import('./action.js'),
      import('../store/disk-full.js'),
      import('../paths.js'),
    ]);
    const error = diskFullError(caught, home, makePaths(home).store) ?? caught;
    new Output(false).error(error);
    process.exitCode = exitCodeOf(error);
  }
}
