/**
 * The daemon's own log line writer. Its stdout is `daemon.log` (the watchdog's `>>`), on the same
 * disk as the tasks' logs: a full disk must cost log lines, never the daemon. Lines go straight
 * to the descriptor (a stream that failed once stays failed, so logging would not come back once
 * space is freed), and the lines lost are counted and said when writing works again.
 */
import { writeSync } from 'node:fs';

export function daemonLogger(fd = 1, now: () => Date = () => new Date()): (line: string) => void {
  // Anything else writing to the process's stdout or stderr (a warning) must not kill it either.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  let lost = 0;
  const write = (text: string): boolean => {
    try {
      writeSync(fd, text);
      return true;
    } catch {
      return false;
    }
  };
  return (line) => {
    const at = now().toISOString();
    if (
      lost > 0 &&
      write(`${at} ${lost} log line${lost === 1 ? '' : 's'} lost: could not write the log (disk full?)\n`)
    )
      lost = 0;
    if (!write(`${at} ${line}\n`)) lost++;
  };
}
