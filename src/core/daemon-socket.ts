/**
 * What a CLI may ask the daemon on its socket (`<home>/daemon.sock`), and how the daemon reads the
 * question. One question for now: `ls`, the task list as `ls --json` prints it, which the daemon,
 * with the store open and its code warm, answers in a few milliseconds while a CLI that reads the
 * store itself spends most of its start loading the store's code (issue 14: `ls --json` against
 * `pm2 jlist`, which asks pm2's daemon the same way).
 *
 * The question names the CLI's version: a daemon of another version (one started before an
 * upgrade) does not answer, and the CLI reads the store itself, so a listing never has the shape
 * of a holdfast other than the one asked.
 */
export type DaemonQuestion = 'ls';

export function questionLine(question: DaemonQuestion, version: string): string {
  return `${question} ${version}\n`;
}

/** The question in `line` (without its newline) when it is one this version answers, else null. */
export function parseQuestion(line: string, version: string): DaemonQuestion | null {
  return line === `ls ${version}` ? 'ls' : null;
}

/** A question longer than this is not one of ours: the daemon stops reading it. */
export const MAX_QUESTION_BYTES = 256;
