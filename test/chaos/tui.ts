/**
 * The chaos suite's checks of its interactive agent, as pure functions over the fake claude TUI's
 * records (test/fixtures/fake-tui/README.md "Records"): the inputs `holdfast send` accepted (their
 * rows at the end) against what its "model" got over all its runs (exactly once: DESIGN invariant
 * 9), and the session each of its runs was on.
 */

export interface SentInput {
  id: number;
  text: string;
  state: string;
  reason: string | null;
}

export interface InputCheck {
  sent: number;
  confirmed: number;
  /** Failed with a reason and never received: killed between its Enter and its confirmation (allowed). */
  failedUnreceived: { id: number; reason: string }[];
  /** Failed, yet the agent got it: not a duplicate, but the user was told it did not arrive (FAIL). */
  failedReceived: { id: number; reason: string }[];
  /** Received more than once, across all runs (FAIL). */
  twice: { id: number; times: number }[];
  /** Confirmed but never received, or failed without a reason (FAIL). */
  lost: { id: number; why: string }[];
  /**
   * Confirmed, never received, but submitted to a TUI that was killed while its UserPromptSubmit
   * hooks ran: the hook outlived it and wrote the line that confirms. The open exactly-once gap
   * (README "Chaos suite"), counted and reported apart, not failed, until confirmation needs more
   * than that line.
   */
  diedInHooks: { id: number }[];
  /** Still queued, sending or sent at the end (FAIL). */
  open: { id: number; state: string }[];
}

/**
 * How often each text was received. A prompt the TUI queued while busy joins the next one with a
 * newline (§2 "Sent while busy: queued"), so a received prompt counts once per line it holds.
 */
export function receivedCounts(prompts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const prompt of prompts)
    for (const line of prompt.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

export function checkInputs(
  sent: readonly SentInput[],
  prompts: readonly string[],
  submitted: readonly string[] = [],
): InputCheck {
  const counts = receivedCounts(prompts);
  const submits = receivedCounts(submitted);
  const out: InputCheck = {
    sent: sent.length,
    confirmed: 0,
    failedUnreceived: [],
    failedReceived: [],
    twice: [],
    lost: [],
    diedInHooks: [],
    open: [],
  };
  for (const input of sent) {
    const times = counts.get(input.text) ?? 0;
    if (times > 1) out.twice.push({ id: input.id, times });
    if (input.state === 'confirmed') {
      out.confirmed++;
      if (times === 0 && (submits.get(input.text) ?? 0) > 0) out.diedInHooks.push({ id: input.id });
      else if (times === 0) out.lost.push({ id: input.id, why: 'confirmed but never received' });
    } else if (input.state === 'failed') {
      if (!input.reason) out.lost.push({ id: input.id, why: 'failed without a reason' });
      else if (times === 0) out.failedUnreceived.push({ id: input.id, reason: input.reason });
      else out.failedReceived.push({ id: input.id, reason: input.reason });
    } else out.open.push({ id: input.id, state: input.state });
  }
  return out;
}

export interface TuiLaunch {
  at: number;
  sessionId: string;
  resumed: boolean;
}

/**
 * Every run on the first run's session id: fresh (`--session-id`) while its conversation has no
 * transcript yet, resuming it (`--resume`) once it has. `transcriptAt` is the time of the
 * transcript's first line (null: none). Claude refuses the other two ways (INTERACTIVE.md §1/§3:
 * `--session-id` of a session in use, `--resume` of one never written, "killed before that, the
 * session cannot be resumed"), so each is a run holdfast launched wrong. The run before a launch is
 * dead by then (a pane's death starts the next), so no transcript line lands in between.
 */
export function checkSessions(launches: readonly TuiLaunch[], transcriptAt: number | null): string[] {
  const problems: string[] = [];
  const first = launches[0];
  if (!first) return ['the fake TUI never ran'];
  launches.forEach((l, i) => {
    const run = `run ${i + 1}`;
    if (l.sessionId !== first.sessionId)
      problems.push(`${run} was on session ${l.sessionId}, not ${first.sessionId}`);
    const written = transcriptAt !== null && transcriptAt < l.at;
    if (l.resumed && !written) problems.push(`${run} resumed a session with no transcript yet`);
    if (!l.resumed && written)
      problems.push(`${run} started its session afresh after its transcript was written`);
  });
  return problems;
}

/** Slack around a disk-full window: the send may have met the full disk as it was being lifted. */
const DISK_SLACK_MS = 1500;

/**
 * Whether a `holdfast send` that exited non-zero was right to: only one that said the disk was
 * full, while the suite had filled it (nothing was accepted, and the user was told).
 */
export function refusalExcused(
  stderr: string,
  at: number,
  diskFull: readonly (readonly [number, number])[],
): boolean {
  return (
    stderr.includes('holdfast: disk full') &&
    diskFull.some(([from, to]) => at >= from - DISK_SLACK_MS && at <= to + DISK_SLACK_MS)
  );
}
