/**
 * The chaos suite's line check, as a pure function: what a run's writer put in its side file against
 * what its log holds. A line is `L <run n> <line n> <epoch seconds>`; the writer prints it and only
 * then appends it to the side file, so a side line missing from the log was lost by capture.
 */

export interface WriterLine {
  run: number;
  n: number;
  /** Epoch milliseconds at which the writer printed it. */
  at: number;
  bytes: number;
}

const LINE = /^L (\d+) (\d+) (\d+(?:\.\d+)?)$/;

/** The writer lines in a text (a side file, or a log with the terminal's `\r`s). */
export function parseLines(text: string): WriterLine[] {
  const out: WriterLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replaceAll('\r', '');
    const m = LINE.exec(line);
    if (m) out.push({ run: Number(m[1]), n: Number(m[2]), at: Number(m[3]) * 1000, bytes: line.length + 1 });
  }
  return out;
}

export type LostWhy =
  /** Destroyed by the suite's own truncation of the log: not holdfast's loss. */
  | 'truncated-by-fault'
  /** Printed while the suite had filled the disk: nothing could have written it. */
  | 'disk-full'
  /** The last line of a run whose tmux server was killed: it may still have been in the pty. */
  | 'in-flight-at-server-death'
  /** The tail of a run that ended otherwise: tmux dropped a dying pane's last bytes. */
  | 'at-run-end'
  /** Everything after a full disk: capture never resumed once there was space again. */
  | 'after-disk-full'
  | 'unexplained';

/** The losses the issue allows; every other kind fails the run. */
export const EXCUSED: ReadonlySet<LostWhy> = new Set([
  'truncated-by-fault',
  'disk-full',
  'in-flight-at-server-death',
]);

export interface RunContext {
  run: number;
  /** How the run ended: null while it still runs. */
  ended: 'server-lost' | 'other' | null;
  /** The highest line number in the side file right after each truncation of this run's log. */
  truncatedUpTo: number | null;
  /** [from, to] epoch ms while the disk was full. */
  diskFull: readonly (readonly [number, number])[];
}

export interface RunCheck {
  run: number;
  written: number;
  writtenBytes: number;
  captured: number;
  capturedBytes: number;
  lost: { n: number; why: LostWhy }[];
  duplicated: number[];
  outOfOrder: number[];
}

/** Slack around a disk-full window: the line may wait in the pty before tmux writes it. */
const DISK_SLACK_MS = 1500;

export function checkRun(side: readonly WriterLine[], log: readonly WriterLine[], ctx: RunContext): RunCheck {
  const mine = log.filter((l) => l.run === ctx.run);
  const written = side.filter((l) => l.run === ctx.run);
  const seen = new Set<number>();
  const duplicated: number[] = [];
  const outOfOrder: number[] = [];
  let last = 0;
  for (const l of mine) {
    if (seen.has(l.n)) duplicated.push(l.n);
    else if (l.n < last) outOfOrder.push(l.n);
    seen.add(l.n);
    last = Math.max(last, l.n);
  }
  const missing = written.filter((l) => !seen.has(l.n));
  const lastCaptured = Math.max(0, ...mine.map((l) => l.n));
  const lastWritten = Math.max(0, ...written.map((l) => l.n));
  // A missing tail that begins while the disk was full: the capture stopped there for good.
  const inWindow = (at: number) =>
    ctx.diskFull.some(([from, to]) => at >= from - DISK_SLACK_MS && at <= to + DISK_SLACK_MS);
  const tailFrom = written.find((l) => l.n > lastCaptured);
  const stoppedAtDiskFull = tailFrom !== undefined && inWindow(tailFrom.at) && ctx.truncatedUpTo === null;
  const lost = missing.map((l) => {
    if (stoppedAtDiskFull && l.n > lastCaptured && !inWindow(l.at))
      return { n: l.n, why: 'after-disk-full' as LostWhy };
    let why: LostWhy = 'unexplained';
    if (ctx.truncatedUpTo !== null && l.n <= ctx.truncatedUpTo) why = 'truncated-by-fault';
    else if (ctx.diskFull.some(([from, to]) => l.at >= from - DISK_SLACK_MS && l.at <= to + DISK_SLACK_MS))
      why = 'disk-full';
    else if (l.n > lastCaptured && ctx.ended !== null) {
      // Only one line may be in flight when the server dies; a longer tail is a capture loss.
      why =
        ctx.ended === 'server-lost' && l.n === lastWritten && lastWritten - lastCaptured === 1
          ? 'in-flight-at-server-death'
          : 'at-run-end';
    }
    return { n: l.n, why };
  });
  const capturedSet = written.filter((l) => seen.has(l.n));
  return {
    run: ctx.run,
    written: written.length,
    writtenBytes: written.reduce((a, l) => a + l.bytes, 0),
    captured: capturedSet.length,
    capturedBytes: capturedSet.reduce((a, l) => a + l.bytes, 0),
    lost,
    duplicated,
    outOfOrder,
  };
}
