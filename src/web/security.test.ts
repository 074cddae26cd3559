import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  hostName,
  isLoopbackAddress,
  requestToken,
  sameOrigin,
  tokenMatches,
} from './security.js';

describe('dashboard request checks', () => {
  it('matches only the exact token', () => {
    const token = 'a'.repeat(64);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${'a'.repeat(63)}b`)).toBe(false);
    expect(tokenMatches(token, 'a')).toBe(false);
    expect(tokenMatches(token, null)).toBe(false);
  });

  it('takes the token from the cookie or a Bearer header, nothing else', () => {
    expect(requestToken({ cookie: 'x=1; holdfast_token=abc; y=2' })).toBe('abc');
    expect(requestToken({ authorization: 'Bearer def' })).toBe('def');
    expect(requestToken({ cookie: 'holdfast_tokenx=abc', authorization: 'Basic zzz' })).toBeNull();
  });

  it('same origin: the Origin must be the Host the browser reached, or Sec-Fetch-Site same-origin without one', () => {
    expect(sameOrigin({ origin: 'http://127.0.0.1:7420', host: '127.0.0.1:7420' })).toBe(true);
    // Through `ssh -L 8000:127.0.0.1:7420` the browser's origin is the tunnel's.
    expect(sameOrigin({ origin: 'http://localhost:8000', host: 'localhost:8000' })).toBe(true);
    expect(sameOrigin({ origin: 'http://evil.example', host: '127.0.0.1:7420' })).toBe(false);
    expect(sameOrigin({ origin: 'null', host: '127.0.0.1:7420' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:7420', secFetchSite: 'same-origin' })).toBe(true);
    expect(sameOrigin({ host: '127.0.0.1:7420', secFetchSite: 'cross-site' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:7420' })).toBe(false);
  });

  it('knows loopback addresses and Host names', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackAddress(h)).toBe(true);
    for (const h of ['0.0.0.0', '192.168.1.2', '::', 'evil.example'])
      expect(isLoopbackAddress(h)).toBe(false);
    expect(hostName('localhost:8000')).toBe('localhost');
    expect(hostName('[::1]:7420')).toBe('[::1]');
    expect(hostName('example.com')).toBe('example.com');
  });

  it('allows only its own scripts and the inline script it hashed', () => {
    const csp = contentSecurityPolicy(['{"imports":{}}']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
