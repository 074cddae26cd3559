/**
 * Sending one notification to one sink: a command (argv, never a shell), a webhook, the desktop.
 * Each is asynchronous and bounded in time, so the notifier's workers never hold up the daemon.
 */
import { spawn } from 'node:child_process';
import type { NotificationBody } from '../core/notifications.js';
import type { SinkSpec } from '../core/notify.js';
import { signature, webhookBody } from './body.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface SinkResult {
  ok: boolean;
  detail: string;
  /** Another attempt would fail the same way (a missing program, a webhook's 4xx): no retry. */
  permanent?: boolean;
}

export interface SendOptions {
  /** The environment a command sink inherits and a `secretEnv` is read from. */
  env: Env;
  commandTimeoutMs?: number;
  webhookTimeoutMs?: number;
}

/** A command sink gets this long, then its process group is killed. */
export const COMMAND_TIMEOUT_MS = 30_000;
/** A webhook that has not answered in this long has failed this attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export function sendToSink(
  sink: SinkSpec,
  body: NotificationBody,
  options: SendOptions,
): Promise<SinkResult> {
  switch (sink.type) {
    case 'command':
      return runCommand(sink.argv, body, options);
    case 'webhook':
      return postWebhook(sink, body, options);
    case 'desktop':
      return runDesktop(body, options);
  }
}

/** The environment a command sink runs with: the daemon's, and what the notification is about. */
export function commandEnv(body: NotificationBody, env: Env): NodeJS.ProcessEnv {
  const { HOLDFAST_WATCHDOG_CHILD: _child, ...inherited } = env;
  return {
    ...inherited,
    HOLDFAST_EVENT: body.event,
    HOLDFAST_TASK: body.task,
    HOLDFAST_STATE: body.state,
    HOLDFAST_DELIVERY: body.key,
  };
}

function runCommand(argv: string[], body: NotificationBody, options: SendOptions): Promise<SinkResult> {
  const timeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: SinkResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // Its own process group, so a timeout kills everything it started and nothing of ours.
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: commandEnv(body, options.env),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-500);
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid);
      done({ ok: false, detail: `no exit after ${Math.round(timeoutMs / 1000)}s: killed` });
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const permanent = error.code === 'ENOENT' || error.code === 'EACCES';
      done({ ok: false, detail: `cannot run ${argv[0]}: ${error.code ?? error.message}`, permanent });
    });
    // Judged by the program's exit, not by its pipes closing: a background child it left (a sound
    // player started with `&`) keeps stderr open, and would be taken for a hang and sent again.
    // The last of stderr gets a moment to arrive first.
    child.on('exit', (code, signal) => {
      const report = () => {
        child.stderr.destroy();
        if (code === 0) return done({ ok: true, detail: 'exit 0' });
        const tail = stderr.trim().split('\n').pop() ?? '';
        done({
          ok: false,
          detail: `${signal ? `killed by ${signal}` : `exit ${code}`}${tail ? `: ${tail.slice(0, 200)}` : ''}`,
        });
      };
      const soon = setTimeout(report, 100);
      child.once('close', () => {
        clearTimeout(soon);
        report();
      });
    });
    // A program that does not read its stdin is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${JSON.stringify(body)}\n`);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The webhook's secret, from the sink or the environment variable it names (null: none configured). */
export function webhookSecret(
  sink: Extract<SinkSpec, { type: 'webhook' }>,
  env: Env,
): { secret: string | null; missing?: string } {
  if (sink.secret !== undefined) return { secret: sink.secret };
  if (sink.secretEnv === undefined) return { secret: null };
  const value = env[sink.secretEnv];
  return value ? { secret: value } : { secret: null, missing: sink.secretEnv };
}

async function postWebhook(
  sink: Extract<SinkSpec, { type: 'webhook' }>,
  body: NotificationBody,
  options: SendOptions,
): Promise<SinkResult> {
  const { secret, missing } = webhookSecret(sink, options.env);
  if (missing !== undefined)
    return { ok: false, detail: `the secret's variable ${missing} is not set in the daemon's environment` };
  const payload = webhookBody(sink.format, body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'holdfast',
    'x-holdfast-event': body.event,
    // The same on every attempt: a receiver drops a second one with a key it has seen.
    'x-holdfast-delivery': body.key,
  };
  if (secret !== null) headers['x-holdfast-signature'] = signature(secret, payload);
  const timeoutMs = options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS;
  try {
    const response = await fetch(sink.url, {
      method: 'POST',
      headers,
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    const status = `HTTP ${response.status}`;
    if (response.status >= 200 && response.status < 300) return { ok: true, detail: status };
    // A request the receiver refuses as such is refused again; a busy or broken one may take it later.
    const permanent =
      response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    return { ok: false, detail: status, permanent };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError')
      return { ok: false, detail: `no answer in ${Math.round(timeoutMs / 1000)}s` };
    return { ok: false, detail: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

function runDesktop(body: NotificationBody, options: SendOptions): Promise<SinkResult> {
  return runCommand(
    ['notify-send', '--app-name=holdfast', `holdfast: ${body.event}`, body.text],
    body,
    options,
  ).then((r) =>
    r.ok || !r.permanent ? r : { ...r, detail: 'notify-send is not on PATH (install libnotify-bin)' },
  );
}
