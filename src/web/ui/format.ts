/** How the page shows times and amounts: short, like `ls`. */

/** 2m10s, 1h05m, 3d4h (whole seconds, rounded down; `up` rounds a countdown's up). */
export function duration(ms: number, up = false): string {
  const s = Math.max(0, up ? Math.ceil(ms / 1000) : Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function cost(usd: number | null): string {
  return usd === null ? '' : `$${usd.toFixed(2)}`;
}

export function clock(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { hour12: false });
}

/** The icon beside each state: a glance tells the ones that need a human. */
export const STATE_ICON: Record<string, string> = {
  pending: '…',
  starting: '▸',
  running: '●',
  stopping: '■',
  stopped: '■',
  succeeded: '✔',
  failed: '✖',
  backoff: '↻',
  'crash-loop': '⚠',
  'rate-limited': '⏸',
  stalled: '⧗',
  'waiting-input': '✋',
  // milestones and missions
  done: '✔',
  active: '▸',
  paused: '⏸',
};

/** waiting-input and crash-loop first (they need someone), then what runs, then the rest. */
export function stateRank(state: string): number {
  if (state === 'waiting-input') return 0;
  if (state === 'crash-loop') return 1;
  if (state === 'failed' || state === 'stalled') return 2;
  if (state === 'running' || state === 'starting') return 3;
  return 4;
}
