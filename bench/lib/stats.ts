export interface Summary {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values (p in 0..1). */
function rank(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Nearest-rank percentile of unsorted samples (p in 0..1); NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  return samples.length === 0
    ? Number.NaN
    : rank(
        [...samples].sort((a, b) => a - b),
        p,
      );
}

export function summarize(samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    n: sorted.length,
    min: round(sorted[0]!),
    median: round(rank(sorted, 0.5)),
    p99: round(rank(sorted, 0.99)),
    max: round(sorted[sorted.length - 1]!),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

const num = (v: number, digits: number) => v.toFixed(digits);

/** "median / p99 unit" for latency-like figures. */
export function medP99(s: Summary | null, unit = 'ms', digits = 1): string {
  return s ? `${num(s.median, digits)} / ${num(s.p99, digits)} ${unit}` : 'n/a';
}

/** "min – median – max unit" for a handful of repeated runs. */
export function minMedMax(s: Summary | null, unit = 's', digits = 2): string {
  return s ? `${num(s.min, digits)} – ${num(s.median, digits)} – ${num(s.max, digits)} ${unit}` : 'n/a';
}
