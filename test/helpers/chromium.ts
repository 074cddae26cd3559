/**
 * Debian's chromium as the browser tests and the dashboard bench launch it (playwright-core, no
 * browser download): headless, and no network or GPU work of its own, which this machine's closed
 * network would refuse many times a start.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
