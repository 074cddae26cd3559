/**
 * `holdfast dashboard`'s server: hono on Node's http server, the page and its files, the JSON API,
 * the actions (each the CLI command of the same name) and the live socket. It reads the store and
 * tmux, writes nothing but what the CLI it runs writes, and decides nothing.
 */
import { readdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { createAdaptorServer } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { type WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';
import { TASK_NAME_PATTERN } from '../core/names.js';
import type { ViewSource } from '../views/tasks.js';
import { viewOf } from '../views/tasks.js';
import { AssetCache, contentType, fileUnder, vendorFiles } from './assets.js';
import { actionArgs, actionResult, type CliCommand, runCli } from './cli-runner.js';
import { LiveHub } from './live.js';
import { journalEntry } from './overview.js';
import { IMPORT_MAP, type PageKind, pageShell } from './page.js';
import type { ActionName, ClientMessage, DaemonStatus, ServerMessage } from './protocol.js';
import { ScreenFeed } from './screen.js';
import {
  contentSecurityPolicy,
  hostName,
  isLoopbackAddress,
  requestToken,
  sameOrigin,
  tokenCookie,
  tokenCookieName,
  tokenMatches,
} from './security.js';

export interface DashboardOptions {
  src: ViewSource;
  /** The tmux socket the tasks' panes are on (their screens are read from it). */
  socket: string;
  token: string;
  host: string;
  port: number;
  daemon: () => DaemonStatus;
  /** How to run holdfast's CLI, and with which environment (the same home). */
  cli: CliCommand;
  cliEnv: NodeJS.ProcessEnv;
  /** The package root: the compiled page is under dist/web/ui, its stylesheet under src/web/ui. */
  root: string;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const ACTIONS: readonly ActionName[] = ['stop', 'restart', 'resume', 'rm', 'checkpoint', 'answer', 'send'];
/** The CLI's own deadlines are inside these (a stop escalates to SIGKILL in 10 s; `send` queues). */
const ACTION_TIMEOUT_MS = 60_000;
const READ_TIMEOUT_MS = 30_000;
const LOG_LINES = 5000;
const MAX_TEXT_CHARS = 2 * 1024 * 1024;
/** A page that reads slower than this much queued is sent no screen frames until it catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** One argument of the CLI holds at most 128 KiB on Linux; a page's text stays well under it. */
const MAX_ARG_BYTES = 100 * 1024;
const argText = z
  .string()
  .refine((v) => Buffer.byteLength(v) <= MAX_ARG_BYTES, `at most ${MAX_ARG_BYTES / 1024} KiB`);
const actionBody = z
  .object({
    prompt: argText.optional(),
    choice: z.string().max(20).optional(),
    message: argText.optional(),
    text: argText.optional(),
    /** answer: the question the user saw; refused when the agent has asked another since. */
    questionId: z.string().max(200).optional(),
  })
  .strict();

const taskName = z.string().regex(TASK_NAME_PATTERN);

const clientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    since: z.number().int().nonnegative().nullable(),
    screen: taskName.nullable(),
  }),
  z.object({ type: z.literal('screen'), task: taskName.nullable() }),
]);

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const hub = new LiveHub({ src: options.src, daemon: options.daemon });
  const screens = new ScreenFeed(options.socket);
  const app = buildApp(options, hub);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => upgrade(options, wss, hub, screens, req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/?token=${options.token}`,
    port,
    close: async () => {
      hub.close();
      screens.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function buildApp(options: DashboardOptions, hub: LiveHub): Hono {
  const app = new Hono();
  const csp = contentSecurityPolicy([IMPORT_MAP]);
  const cookieName = tokenCookieName(options.token);
  const assets = new AssetCache();
  const vendor = vendorFiles();
  const uiRoot = join(options.root, 'dist', 'web', 'ui');
  const styleFile = join(options.root, 'src', 'web', 'ui', 'style.css');

  app.use('*', async (c, next) => {
    c.header('Content-Security-Policy', csp);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    // Bound to loopback, only a loopback name may reach it: a page of another site that rebinds its
    // name to 127.0.0.1 is turned away before the token is even looked at.
    if (isLoopbackAddress(options.host) && !isLoopbackAddress(hostName(c.req.header('host') ?? ''))) {
      return c.json({ error: 'holdfast: this dashboard answers only on a loopback address' }, 403);
    }
    const fromUrl = c.req.query('token');
    if (fromUrl !== undefined && c.req.method === 'GET') {
      if (!tokenMatches(options.token, fromUrl)) return unauthorized(c);
      // The token leaves the URL (history, screenshots) for a cookie scripts cannot read.
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      c.header('Set-Cookie', tokenCookie(options.token));
      return c.redirect(`${url.pathname}${url.search}`, 302);
    }
    const given = requestToken(
      { cookie: c.req.header('cookie'), authorization: c.req.header('authorization') },
      cookieName,
    );
    if (!tokenMatches(options.token, given)) return unauthorized(c);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const ok = sameOrigin({
        origin: c.req.header('origin'),
        host: c.req.header('host'),
        secFetchSite: c.req.header('sec-fetch-site'),
      });
      if (!ok)
        return c.json(
          { error: 'holdfast: refused: a change must come from the dashboard page itself (same origin)' },
          403,
        );
    }
    if (c.req.path.startsWith('/api/')) c.header('Cache-Control', 'no-store');
    await next();
  });

  const preload = [
    ...pageModules(uiRoot),
    '/vendor/preact/preact.mjs',
    '/vendor/preact/hooks.mjs',
    '/vendor/preact/jsx-runtime.mjs',
  ];
  const page = (kind: PageKind) => (c: Context) => {
    // The overview the page's socket will ask for, built while the browser loads the modules.
    setImmediate(() => {
      try {
        hub.overview();
      } catch {
        // read again when the page asks
      }
    });
    return c.html(pageShell(kind, c.req.param('name') ?? null, preload));
  };
  app.get('/', page('overview'));
  app.get('/task/:name', page('task'));
  app.get('/mission/:name', page('mission'));

  app.get('/ui/*', (c) => {
    const rest = c.req.path.slice('/ui/'.length);
    const file = rest === 'style.css' ? styleFile : fileUnder(uiRoot, rest);
    const body = file === null ? null : assets.read(file);
    if (body === null) return c.json({ error: `no such file: ${c.req.path}` }, 404);
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': contentType(file!),
      'Cache-Control': 'no-cache',
    });
  });
  app.get('/vendor/*', (c) => {
    const file = vendor.get(c.req.path.slice('/vendor/'.length));
    const body = file === undefined ? null : assets.read(file);
    if (body === null) return c.json({ error: `no such file: ${c.req.path}` }, 404);
    return c.body(new Uint8Array(body), 200, {
      'Content-Type': contentType(file!),
      'Cache-Control': 'max-age=3600',
    });
  });

  // Browsers ask for it on every page; there is none, and a 404 would be noise in the console.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/api/overview', (c) => c.json(hub.overview()));

  const taskOf = (c: Context) => options.src.store.tasks.byName(c.req.param('name') ?? '');
  const noTask = (c: Context) => c.json({ error: `holdfast: no task named ${c.req.param('name')}` }, 404);

  app.get('/api/tasks/:name', (c) => {
    const task = taskOf(c);
    return task ? c.json(viewOf(options.src, task)) : noTask(c);
  });

  const cliRead = async (c: Context, args: string[], asJson: boolean) => {
    const out = await runCli(options.cli, args, options.cliEnv, READ_TIMEOUT_MS);
    if (out.code !== 0) {
      const line = out.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit ${out.code}`;
      return c.json({ error: line.trim() }, 502);
    }
    if (!asJson) {
      // Many runs of a chatty task: the page shows the end, and a browser need not hold 60 MB.
      const text = stripVTControlCharacters(out.stdout);
      return c.json({ text: text.length > MAX_TEXT_CHARS ? text.slice(-MAX_TEXT_CHARS) : text });
    }
    try {
      return c.json(JSON.parse(out.stdout) as object);
    } catch {
      return c.json({ error: `holdfast ${args[0]} printed no JSON` }, 502);
    }
  };

  app.get('/api/tasks/:name/log', (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    const run = c.req.query('run');
    const args = ['log', task.name, '--lines', String(LOG_LINES)];
    if (run !== undefined) {
      if (!/^[1-9]\d*$/.test(run)) return c.json({ error: 'holdfast: run must be a run number' }, 400);
      args.push('--run', run);
    }
    if (c.req.query('timestamps') === '1') args.push('--timestamps');
    // An agent's output is its event stream; the readable form is the transcript.
    if (task.spec.agent && !task.spec.agent.interactive) args.push('--raw');
    return cliRead(c, args, false);
  });
  app.get('/api/tasks/:name/transcript', (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    return cliRead(c, ['log', task.name, '--lines', String(LOG_LINES)], false);
  });
  app.get('/api/tasks/:name/journal', (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    const entries = options.src.store.events.forTask(task.id, 0, 100_000).slice(-500).map(journalEntry);
    return c.json({ entries });
  });
  app.get('/api/tasks/:name/checkpoints', async (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    const out = await runCli(
      options.cli,
      ['checkpoints', task.name, '--json'],
      options.cliEnv,
      READ_TIMEOUT_MS,
    );
    if (out.code !== 0) return c.json({ error: out.stderr.trim().split('\n')[0] ?? `exit ${out.code}` }, 502);
    return c.json({ checkpoints: JSON.parse(out.stdout) as unknown });
  });
  app.get('/api/tasks/:name/checkpoints/:id/diff', async (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    const id = c.req.param('id');
    const out = await runCli(
      options.cli,
      ['checkpoints', task.name, '--json'],
      options.cliEnv,
      READ_TIMEOUT_MS,
    );
    if (out.code !== 0) return c.json({ error: out.stderr.trim().split('\n')[0] ?? `exit ${out.code}` }, 502);
    const list = z
      .array(z.object({ id: z.string(), commit: z.string(), parent: z.string().nullable() }).loose())
      .parse(JSON.parse(out.stdout));
    const cp = list.find((x) => x.id === id);
    if (!cp) return c.json({ error: `holdfast: ${task.name} has no checkpoint ${id}` }, 404);
    return c.json(await checkpointDiff(task.spec.cwd, cp.commit, cp.parent));
  });
  app.get('/api/tasks/:name/recovery', (c) => {
    const task = taskOf(c);
    if (!task) return noTask(c);
    return cliRead(c, ['recover', task.name, '--json'], true);
  });
  app.get('/api/missions/:name', (c) => {
    const name = c.req.param('name');
    if (!options.src.store.missions.byName(name))
      return c.json({ error: `holdfast: no mission named ${name}` }, 404);
    return cliRead(c, ['mission', 'status', name, '--json'], true);
  });

  app.get('/api/missions/:name/continue-prompt', (c) => {
    const name = c.req.param('name');
    if (!options.src.store.missions.byName(name))
      return c.json({ error: `holdfast: no mission named ${name}` }, 404);
    return cliRead(c, ['mission', 'continue-prompt', name], false);
  });

  app.post('/api/tasks/:name/:action', async (c) => {
    const action = c.req.param('action') as ActionName;
    if (!ACTIONS.includes(action)) return c.json({ error: `holdfast: no action ${action}` }, 404);
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
      return c.json({ error: 'holdfast: an action takes a JSON body (Content-Type: application/json)' }, 415);
    }
    const parsed = actionBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success)
      return c.json({ error: `holdfast: bad request: ${z.prettifyError(parsed.error)}` }, 400);
    const task = taskOf(c);
    if (!task) return noTask(c);
    // An answer is for the question the user saw: a double click, or one as the agent asks its
    // next, must not approve a tool call nobody read.
    const { questionId } = parsed.data;
    if (action === 'answer' && questionId !== undefined && task.tui?.question?.id !== questionId) {
      return c.json(
        { error: `holdfast: ${task.name} is no longer asking that question: look at it again` },
        409,
      );
    }
    const argv = actionArgs(task.name, action, parsed.data);
    if ('error' in argv) return c.json({ error: `holdfast: ${argv.error}` }, 400);
    const out = await runCli(options.cli, argv.args, options.cliEnv, ACTION_TIMEOUT_MS);
    return c.json(actionResult(argv.args, out));
  });

  app.notFound((c) => c.json({ error: `holdfast: no such page: ${c.req.path}` }, 404));
  return app;
}

/** The compiled page's modules, by URL: main.js first. */
function pageModules(uiRoot: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(uiRoot).filter((n) => n.endsWith('.js'));
  } catch {
    // not built: the page's own request says so
  }
  return names
    .sort((a, b) => (a === 'main.js' ? -1 : b === 'main.js' ? 1 : a.localeCompare(b)))
    .map((n) => `/ui/${n}`);
}

function unauthorized(c: Context) {
  return c.json(
    { error: 'holdfast: this dashboard needs its token: open the URL `holdfast dashboard` printed' },
    401,
  );
}

/** The checkpoint's changes against the one before it (or the commit it was taken on). */
async function checkpointDiff(cwd: string, commit: string, parent: string | null) {
  const { execFile } = await import('node:child_process');
  const git = (args: string[]) =>
    new Promise<string>((resolve) =>
      execFile('git', ['-C', cwd, ...args], { maxBuffer: 32 * 1024 * 1024 }, (error, stdout) =>
        resolve(error ? '' : String(stdout)),
      ),
    );
  const base = parent ?? `${commit}^`;
  const [stat, patch] = await Promise.all([
    git(['diff', '--no-color', '--stat', base, commit]),
    git(['diff', '--no-color', base, commit]),
  ]);
  return { stat, patch };
}

function upgrade(
  options: DashboardOptions,
  wss: WebSocketServer,
  hub: LiveHub,
  screens: ScreenFeed,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  // Node takes its own error listener off a socket it hands to 'upgrade': without one, a peer
  // that resets the connection would end the dashboard.
  socket.on('error', () => socket.destroy());
  const refused = upgradeRefusal(options, req);
  if (refused !== null) {
    socket.end(`HTTP/1.1 ${refused}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, hub, screens));
}

/** Why the live socket is refused (an HTTP status line), or null to accept it. */
function upgradeRefusal(options: DashboardOptions, req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/api/live') return '404 Not Found';
  if (isLoopbackAddress(options.host) && !isLoopbackAddress(hostName(req.headers.host ?? ''))) {
    return '403 Forbidden';
  }
  const given = requestToken(
    { cookie: req.headers.cookie ?? null, authorization: req.headers.authorization ?? null },
    tokenCookieName(options.token),
  );
  if (!tokenMatches(options.token, given)) return '401 Unauthorized';
  // A browser always sends Origin on a WebSocket: only the dashboard's own page may open one.
  if (!sameOrigin({ origin: req.headers.origin ?? null, host: req.headers.host ?? null })) {
    return '403 Forbidden';
  }
  return null;
}

/** How often a page's socket is pinged; one that has not answered by the next ping is dropped. */
const PING_MS = 30_000;

function serveSocket(ws: WebSocket, hub: LiveHub, screens: ScreenFeed): void {
  let unwatch: (() => void) | null = null;
  let joined = false;
  let alive = true;
  /** The newest screen frame held back while the page was behind, sent once it has caught up. */
  let heldFrame: ServerMessage | null = null;
  let drain: NodeJS.Timeout | null = null;
  const sendHeld = () => {
    drain = null;
    if (heldFrame === null || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      drain = setTimeout(sendHeld, 250);
      return;
    }
    const frame = heldFrame;
    heldFrame = null;
    ws.send(JSON.stringify(frame));
  };
  const send = (message: ServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      if (message.type === 'screen') {
        heldFrame = message;
        drain ??= setTimeout(sendHeld, 250);
        return;
      }
      // A page this far behind is dropped: it reconnects and catches up from its journal id, and
      // its queue cannot grow the dashboard's memory.
      ws.terminate();
      return;
    }
    if (message.type === 'screen') heldFrame = null;
    ws.send(JSON.stringify(message));
  };
  const client = { send };
  const watch = (task: string | null) => {
    unwatch?.();
    unwatch = null;
    if (task === null) return;
    unwatch = screens.watch(task, (frame) =>
      'none' in frame
        ? send({ type: 'screen-none', task, why: frame.none })
        : send({ type: 'screen', ...frame }),
    );
  };
  const ping = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, PING_MS);
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('message', (data) => {
    try {
      const message: ClientMessage = clientMessage.parse(JSON.parse(String(data)));
      if (message.type === 'hello') {
        if (joined) hub.leave(client);
        hub.join(client, message.since);
        joined = true;
        watch(message.screen);
      } else {
        watch(message.task);
      }
    } catch {
      // A bad message, or a store that could not be read just now: this page reconnects, the
      // dashboard goes on.
      ws.close(1011, 'could not serve that');
    }
  });
  ws.on('close', () => {
    clearInterval(ping);
    if (drain) clearTimeout(drain);
    unwatch?.();
    hub.leave(client);
  });
  ws.on('error', () => ws.terminate());
}
