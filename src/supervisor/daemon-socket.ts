/**
 * The daemon's socket (`<home>/daemon.sock`): a CLI asks it a question (core/daemon-socket.ts) and
 * gets the answer the CLI would have printed, computed from the daemon's open store. Read only: it
 * answers what is, and changes nothing; anything it cannot answer gets no answer, and the CLI reads
 * the store itself.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { type DaemonQuestion, MAX_QUESTION_BYTES, parseQuestion } from '../core/daemon-socket.js';
import { lstatOrNull } from '../fs-safe.js';
import { errorText } from './daemon-retry.js';

/** The text a question is answered with (a document ending in a newline). */
export type DaemonAnswer = (question: DaemonQuestion) => string;

export interface DaemonSocket {
  close(): void;
}

/** A CLI that connects and says nothing is let go after this long. */
const QUESTION_TIMEOUT_MS = 2000;

/**
 * Listens on `path` until close(). Only the daemon that holds the lease calls this, so a socket
 * already there is a dead daemon's: it is replaced. Anything else there (a file, a link) is left
 * alone, and the daemon goes on without a socket: CLIs read the store, as they do with no daemon.
 * A socket that cannot be made (a path too long, say) is an error, which the caller logs.
 */
export async function serveDaemonSocket(
  path: string,
  version: string,
  answer: DaemonAnswer,
  log: (line: string) => void,
): Promise<DaemonSocket | null> {
  const before = lstatOrNull(path);
  if (before !== null) {
    if (!before.isSocket()) {
      log(`not answering CLIs on ${path}: something other than a socket is there`);
      return null;
    }
    rmSync(path, { force: true });
  }
  const server = createServer((socket) => answerOne(socket, version, answer, log));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
  } catch (error) {
    server.close();
    throw error;
  }
  // A later daemon may have put its own socket there (this one lost its lease): only ours goes.
  const ours = lstatOrNull(path)?.ino;
  return {
    close() {
      server.close();
      try {
        if (ours !== undefined && lstatOrNull(path)?.ino === ours) rmSync(path, { force: true });
      } catch {
        // the home may be gone already
      }
    },
  };
}

function answerOne(socket: Socket, version: string, answer: DaemonAnswer, log: (line: string) => void): void {
  let text = '';
  let done = false;
  socket.setEncoding('utf8');
  socket.setTimeout(QUESTION_TIMEOUT_MS, () => socket.destroy());
  // A CLI that went away before its answer was written is no error of the daemon's.
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    if (done) return;
    text += chunk;
    const end = text.indexOf('\n');
    if (end === -1) {
      if (text.length > MAX_QUESTION_BYTES) socket.destroy();
      return;
    }
    done = true;
    const question = parseQuestion(text.slice(0, end), version);
    if (question === null) {
      socket.end();
      return;
    }
    let reply: string;
    try {
      reply = answer(question);
    } catch (error) {
      log(`could not answer a CLI's ${question}: ${errorText(error)}`);
      socket.destroy();
      return;
    }
    socket.end(reply);
  });
}
