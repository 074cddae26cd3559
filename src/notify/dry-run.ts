/**
 * Whether a sink could be reached, without sending it anything (`holdfast doctor`): a command's
 * program exists and is executable, a webhook's host resolves and takes a TCP connection, the
 * desktop has `notify-send`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import type { SinkSpec } from '../core/notify.js';
import { webhookSecret } from './sinks.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How long a webhook's host has to take the connection. */
export const DRY_RUN_TIMEOUT_MS = 3000;

export async function dryRunSink(sink: SinkSpec, env: Env): Promise<{ ok: boolean; detail: string }> {
  switch (sink.type) {
    case 'command':
      return executable(sink.argv[0]!);
    case 'desktop': {
      const found = onPath('notify-send', env);
      return found
        ? { ok: true, detail: `notify-send at ${found}` }
        : {
            ok: false,
            detail: 'notify-send is not on PATH (install libnotify-bin); desktop notifications are not shown',
          };
    }
    case 'webhook': {
      const { missing } = webhookSecret(sink, env);
      if (missing !== undefined) return { ok: false, detail: `the secret's variable ${missing} is not set` };
      return reach(sink.url);
    }
  }
}

function executable(path: string): { ok: boolean; detail: string } {
  try {
    if (!statSync(path).isFile()) return { ok: false, detail: `${path} is not a file` };
    accessSync(path, constants.X_OK);
    return { ok: true, detail: `${path} is executable` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      detail: code === 'ENOENT' ? `${path} does not exist` : `${path} is not executable (${code})`,
    };
  }
}

function onPath(program: string, env: Env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (executable(candidate).ok) return candidate;
  }
  return null;
}

function reach(url: string): Promise<{ ok: boolean; detail: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, detail: `${url} is not a URL` });
  }
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    // net.connect resolves the name first: a host that does not resolve fails with ENOTFOUND.
    const socket = connect({ host, port, timeout: DRY_RUN_TIMEOUT_MS });
    const done = (result: { ok: boolean; detail: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true, detail: `${host}:${port} takes connections` }));
    socket.once('timeout', () =>
      done({ ok: false, detail: `${host}:${port}: no connection in ${DRY_RUN_TIMEOUT_MS / 1000}s` }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, detail: `${host}:${port}: ${error.code ?? error.message}` }),
    );
  });
}
