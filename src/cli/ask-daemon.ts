/**
 * A CLI's question to the daemon's socket (core/daemon-socket.ts), asked before the program, the
 * store or zod is loaded: `ls --json` is answered by the daemon when one answers, else by the
 * program reading the store. So this module loads nothing but Node's own and the home's checks.
 */
import { connect } from 'node:net';
import { type DaemonQuestion, questionLine } from '../core/daemon-socket.js';
import { checkOwnPath, verifyPrivateDir } from '../fs-safe.js';
import { makePaths, resolveHome } from '../paths.js';

/**
 * How long a CLI waits for the daemon's answer: a daemon that is stopped (SIGSTOP) or stuck in a
 * long pass still accepts the connection; after this, the CLI reads the store itself.
 */
export const ANSWER_TIMEOUT_MS = 1000;

/**
 * The daemon's answer to `question`, or null when there is none to print: no home or socket of the
 * user's own (the program reports what is wrong with them), no daemon listening, one of another
 * version, an error or a timeout on the way.
 */
export async function askDaemon(
  question: DaemonQuestion,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<string | null> {
  if (env.HOLDFAST_NO_DAEMON === '1') return null;
  const paths = makePaths(resolveHome(env));
  try {
    verifyPrivateDir(paths.home);
    checkOwnPath(paths.daemonSocket, 'socket');
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (answer: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle(null), timeoutMs);
    const socket = connect(paths.daemonSocket, () => socket.write(questionLine(question, version)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => settle(null));
    // An answer is whole when the daemon ends it: a document, ending in its newline. No answer (a
    // daemon of another version), or one cut short (the daemon died writing it), is none.
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      settle(text.endsWith('\n') ? text : null);
    });
  });
}
