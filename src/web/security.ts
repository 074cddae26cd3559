/**
 * The dashboard's request checks, as pure functions: the token, the cookie, same-origin for
 * anything that changes state, loopback hosts, and the Content-Security-Policy.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'holdfast_token';

/** Whether `given` is the token, in constant time (a wrong token of the right length tells nothing). */
export function tokenMatches(token: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(token);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: the cookie, or `Authorization: Bearer`. The URL's is handled apart (it sets the cookie). */
export function requestToken(headers: {
  cookie?: string | null;
  authorization?: string | null;
}): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (bearer) return bearer[1]!;
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a bind address only listens on this machine. */
export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The name in a Host header (`localhost:8000`, `[::1]:7420`), without its port. */
export function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

/**
 * A state-changing request must come from the dashboard's own page: its Origin is the origin the
 * browser used to reach us (the Host it sent; through an SSH tunnel the port may differ from ours),
 * or, where a browser sends no Origin, `Sec-Fetch-Site: same-origin`. A request with neither is refused.
 */
export function sameOrigin(headers: {
  origin?: string | null;
  host?: string | null;
  secFetchSite?: string | null;
}): boolean {
  const { origin, host } = headers;
  if (origin) {
    if (!host) return false;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
    } catch {
      return false;
    }
  }
  return headers.secFetchSite === 'same-origin';
}

/** The import map of the page, and so the one inline script the policy allows, by its hash. */
export function contentSecurityPolicy(inlineScripts: readonly string[]): string {
  const hashes = inlineScripts.map((s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    // xterm.js writes its theme and cell sizes into <style> elements it creates, and a 24-bit
    // colour into a cell's style attribute; scripts stay limited to our own files.
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
