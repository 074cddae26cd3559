import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES } from '../../core/task.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { currentLease } from '../../supervisor/lease.js';
import { isLoopbackAddress } from '../../web/security.js';
import { startDashboard } from '../../web/server.js';
import { dashboardToken } from '../../web/token.js';
import { action } from '../action.js';
import { ensureDaemon } from '../daemon-client.js';

interface DashboardOptions {
  port: string;
  host: string;
  open?: boolean;
  allowRemote?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('dashboard')
    .summary('serve the live dashboard in a browser (through an SSH tunnel from a laptop)')
    .option('-p, --port <port>', 'the port to listen on (0: any free one)', '7420')
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--open', 'open the URL in a browser on this machine (xdg-open)')
    .option('--allow-remote', 'allow a --host other than loopback (the token then travels unencrypted)')
    .option('--json', 'print the URL as JSON')
    .action(
      action<DashboardOptions>(async (ctx, _args, options) => {
        if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65_535) {
          throw new HoldfastError(
            'EUSAGE',
            `--port: expected a port number (0-65535), got ${JSON.stringify(options.port)}`,
          );
        }
        if (!isLoopbackAddress(options.host) && !options.allowRemote) {
          throw new HoldfastError(
            'EUSAGE',
            `--host ${options.host} would serve the dashboard (which can stop, remove and type into tasks) beyond this machine, over unencrypted http`,
            {
              hint: `keep the default (127.0.0.1) and tunnel: ssh -L 7420:127.0.0.1:7420 <this box>; or add --allow-remote if the network is yours`,
            },
          );
        }
        const rt = ctx.rt;
        // Tasks that want supervising get a daemon, as after any holdfast command; the dashboard
        // itself only reads (with none, its banner says so and nothing is decided here).
        if (rt.store.tasks.all().some((t) => t.desired === 'running' && !FINAL_STATES.has(t.state))) {
          await ensureDaemon(ctx);
        }
        const token = dashboardToken(rt.paths.home);
        let dashboard: Awaited<ReturnType<typeof startDashboard>>;
        try {
          dashboard = await startDashboard({
            src: rt,
            socket: rt.paths.socket,
            token,
            host: options.host,
            port: Number(options.port),
            daemon: () => {
              const lease = currentLease(rt);
              return lease.live
                ? { live: true, pid: lease.lease.pid, why: null }
                : { live: false, pid: lease.lease?.pid ?? null, why: lease.why };
            },
            cli: [process.execPath, resolve(PACKAGE_ROOT, 'bin', 'holdfast.js')],
            cliEnv: { ...process.env, HOLDFAST_HOME: rt.paths.home },
            root: PACKAGE_ROOT,
          });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') {
            throw new HoldfastError('ESTATE', `port ${options.port} on ${options.host} is in use`, {
              hint: 'another dashboard may be running; --port 0 picks a free port',
            });
          }
          if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
            throw new HoldfastError('EUSAGE', `cannot listen on ${options.host}:${options.port} (${code})`);
          }
          throw error;
        }
        const { url } = dashboard;
        ctx.out.result({ url, host: options.host, port: dashboard.port }, () => `holdfast dashboard: ${url}`);
        if (!isLoopbackAddress(options.host)) {
          ctx.out.warn(
            `listening on ${options.host}: anyone who can reach it and sees the URL has the token`,
          );
        }
        if (options.open) openBrowser(url, (why) => ctx.out.warn(`--open: ${why}`, `open ${url} yourself`));
        await new Promise<void>((done) => {
          const stop = () => done();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          process.once('SIGHUP', stop);
        });
        await dashboard.close();
        return 0;
      }),
    );
}

function openBrowser(url: string, failed: (why: string) => void): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.once('error', () => failed('xdg-open is not on this machine'));
  child.once('exit', (code) => {
    if (code !== 0) failed(`xdg-open exited ${code}`);
  });
  child.unref();
}
