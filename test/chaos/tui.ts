/**
 * The chaos suite's checks of its interactive agent, as pure functions over the fake claude TUI's
 * records (test/fixtures/fake-tui/README.md "Records"): the inputs `holdfast send` accepted (their
 * rows at the end) against what its conversation kept over all its runs, its transcript's user
 * lines (exactly once: DESIGN invariant 9), and the session each of its runs was on. What the
 * "model" was asked (inputs.jsonl) is more: a run killed after its request and before its
 * transcript's line was asked a prompt its resumed session lacks, which holdfast sends again.
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
  /** Failed with a reason and never kept: killed between its Enter and its UserPromptSubmit (allowed). */
  failedUnreceived: { id: number; reason: string }[];
  /** Failed, yet the conversation has it: not a duplicate, but the user was told it did not arrive (FAIL). */
  failedReceived: { id: number; reason: string }[];
  /** Kept more than once, across all runs (FAIL). */
  twice: { id: number; times: number }[];
  /** Confirmed but never kept (its TUI killed in its prompt hooks, or before its transcript's line), or failed without a reason (FAIL). */
  lost: { id: number; why: string }[];
  /** Asked of the model more often than kept: a run that got it died before its transcript's line (allowed: sent again). */
  askedNotKept: { id: number; asked: number; kept: number }[];
  /** Still queued, sending, sent or submitted at the end (FAIL). */
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

/**
 * `kept`: the user prompts of the conversation's transcript, in order; `asked`: the prompts the
 * fake's model got (inputs.jsonl), for `askedNotKept`.
 */
export function checkInputs(
  sent: readonly SentInput[],
  kept: readonly string[],
  asked: readonly string[] = [],
): InputCheck {
  const counts = receivedCounts(kept);
  const asks = receivedCounts(asked);
  const out: InputCheck = {
    sent: sent.length,
    confirmed: 0,
    failedUnreceived: [],
    failedReceived: [],
    twice: [],
    lost: [],
    askedNotKept: [],
    open: [],
  };
  for (const input of sent) {
    const times = counts.get(input.text) ?? 0;
    const askedTimes = asks.get(input.text) ?? 0;
    if (times > 1) out.twice.push({ id: input.id, times });
    if (askedTimes > times) out.askedNotKept.push({ id: input.id, asked: askedTimes, kept: times });
    if (input.state === 'confirmed') {
      out.confirmed++;
      if (times === 0) out.lost.push({ id: input.id, why: 'confirmed but never kept by the conversation' });
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
 * full, while the suite had filled it (nothing was accepted, and the user was told). The send is
 * the span from its start to its exit, not its start alone: a CLI start under load takes long
 * enough for the disk to fill after the send began and before it wrote.
 */
export function refusalExcused(
  stderr: string,
  send: readonly [number, number],
  diskFull: readonly (readonly [number, number])[],
): boolean {
  const [began, ended] = send;
  return (
    stderr.includes('holdfast: disk full') &&
    diskFull.some(([from, to]) => ended >= from - DISK_SLACK_MS && began <= to + DISK_SLACK_MS)
  );
}
