import { HoldfastError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `10s`, `5m`, `1h30m`, `2d`; a bare number is seconds. */
export function parseDuration(text: string, field = 'duration'): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new HoldfastError(
      'EUSAGE',
      `${field}: expected a duration like 500ms, 10s, 5m or 1h30m, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2]!] ?? 0), 0));
}

/** Parses a backoff range `1s..5m` into initial and maximum delays. */
export function parseBackoff(text: string): { initialMs: number; maxMs: number } {
  const [first, second, ...rest] = text.split('..');
  if (first === undefined || rest.length > 0) {
    throw new HoldfastError(
      'EUSAGE',
      `--backoff: expected INITIAL..MAX such as 1s..5m, got ${JSON.stringify(text)}`,
    );
  }
  const initialMs = parseDuration(first, '--backoff');
  const maxMs = second === undefined ? initialMs : parseDuration(second, '--backoff');
  if (maxMs < initialMs) {
    throw new HoldfastError(
      'EUSAGE',
      `--backoff: the maximum (${second}) is below the initial delay (${first})`,
    );
  }
  return { initialMs, maxMs };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}
