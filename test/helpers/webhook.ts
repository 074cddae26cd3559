import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with; null while it is held (or when it was never answered). */
  answered: number | null;
}

export interface Hook {
  url: string;
  received: Received[];
  /** Answers every request held so far with this status. */
  release(status: number): void;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1: `answer(n)` gives the status for the n-th request (0-based), or
 * `hold` to keep it open until `release` (a receiver that hangs).
 */
export async function startHook(answer: (n: number) => number | 'hold'): Promise<Hook> {
  const received: Received[] = [];
  const held: { res: ServerResponse; rec: Received }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const rec: Received = { url: req.url ?? '', headers: req.headers, body, answered: null };
      const status = answer(received.length);
      received.push(rec);
      if (status === 'hold') {
        held.push({ res, rec });
        return;
      }
      rec.answered = status;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    release(status) {
      for (const { res, rec } of held.splice(0)) {
        if (res.destroyed) continue;
        rec.answered = status;
        res.writeHead(status).end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { res } of held.splice(0)) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
