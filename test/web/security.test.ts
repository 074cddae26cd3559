/**
 * The dashboard's doors, from outside a browser (a browser would refuse to send some of these):
 * the token on every request, the cookie it becomes, same origin for changes and for the live
 * socket, and a non-loopback --host refused before anything is created.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tokenCookieName } from '../../src/web/security.js';
import { startDashboard, useDashboards } from '../helpers/browser.js';
import { useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
useDashboards();

/** The status a WebSocket upgrade got: 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

describe('dashboard security', { timeout: 120_000 }, () => {
  it("every request needs the token: none or a wrong one gets 401; the URL's sets an HttpOnly SameSite=Strict cookie and leaves the URL", async () => {
    const h = home();
    const d = await startDashboard(h);
    const tokenFile = join(h.dir, 'dashboard.token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(d.token).toMatch(/^[0-9a-f]{64}$/);
    for (const path of ['/', '/api/overview', '/task/x', '/ui/main.js', '/vendor/preact/preact.mjs']) {
      expect((await fetch(`${d.origin}${path}`)).status, path).toBe(401);
    }
    const wrong = 'f'.repeat(64);
    expect((await fetch(`${d.origin}/?token=${wrong}`, { redirect: 'manual' })).status).toBe(401);
    expect(
      (
        await fetch(`${d.origin}/api/overview`, {
          headers: { Cookie: `${tokenCookieName(d.token)}=${wrong}` },
        })
      ).status,
    ).toBe(401);
    const first = await fetch(d.url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/');
    expect(first.headers.get('set-cookie')).toBe(
      `${tokenCookieName(d.token)}=${d.token}; HttpOnly; SameSite=Strict; Path=/`,
    );
    const page = await fetch(`${d.origin}/`, {
      headers: { Cookie: `${tokenCookieName(d.token)}=${d.token}` },
    });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[^']+'(;|$)/);
    const bearer = await fetch(`${d.origin}/api/overview`, {
      headers: { Authorization: `Bearer ${d.token}` },
    });
    expect(bearer.status).toBe(200);
  });

  it('a cross-origin POST is refused and changes nothing; a live socket from another origin is refused', async () => {
    const h = home();
    await h.json(['run', '--name', 'keep', '--', 'sleep', '600']);
    const d = await startDashboard(h);
    const cookie = `${tokenCookieName(d.token)}=${d.token}`;
    const post = (headers: Record<string, string>) =>
      fetch(`${d.origin}/api/tasks/keep/stop`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers },
        body: '{}',
      });
    const evil = await post({ Origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toMatch(/^holdfast: refused/);
    expect((await post({})).status).toBe(403);
    expect((await post({ 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await h.status('keep')).state).toBe('running');
    expect((await h.events('keep')).map((e) => e.type)).not.toContain('stop-requested');

    const live = `${d.origin.replace('http', 'ws')}/api/live`;
    expect(await upgradeStatus(live, { Cookie: cookie, Origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(live, { Origin: d.origin })).toBe(401);
    expect(await upgradeStatus(live, { Cookie: cookie, Origin: d.origin })).toBe(101);

    // The same request from the page's own origin does what `holdfast stop` does.
    const own = await post({ Origin: d.origin });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ ok: true, command: 'holdfast stop keep' });
    await waitFor(
      () => h.status('keep'),
      (v) => v.state === 'stopped' && v.desired === 'stopped',
      { what: 'the task stopped' },
    );
  });

  it('a Host that is not a loopback name is refused (DNS rebinding), even with the token', async () => {
    const h = home();
    const d = await startDashboard(h);
    const res = await new Promise<number>((resolve, reject) => {
      // fetch() will not set Host; a raw request can.
      import('node:http').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: d.port,
            path: '/api/overview',
            headers: { Host: `evil.example:${d.port}`, Authorization: `Bearer ${d.token}` },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(res).toBe(403);
  });

  it('--host beyond loopback without --allow-remote exits 2 with one line and a hint, and creates nothing', async () => {
    const h = home();
    const r = await h.cli(['dashboard', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^holdfast: --host 0\.0\.0\.0 would serve the dashboard/);
    expect(lines[1]).toMatch(/^hint: .*ssh -L 7420:127\.0\.0\.1:7420/);
    expect(lines).toHaveLength(2);
    expect(existsSync(join(h.dir, 'dashboard.token'))).toBe(false);
    const bad = await h.cli(['dashboard', '--port', '99999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^holdfast: --port: expected a port number/);
  });
});
