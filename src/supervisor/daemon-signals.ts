/**
 * The daemon's signals, from its first moment: SIGTERM and SIGINT ask it to stop, SIGHUP is
 * survived (the watchdog's pane going away with a killed tmux server must not take the daemon
 * with it). Taken before the store is opened, not once the loop's code is loaded: a SIGTERM that
 * came while `host.js` loaded (tens of ms after the lease was taken) used to end the process by
 * the signal's default, holding a lease it never released.
 */
export class DaemonSignals {
  /** The stop signal received so far, if any. */
  stopSignal: string | null = null;
  /** Settles with the first stop signal: a wait before the lease is taken ends on it. */
  readonly stopped: Promise<string>;
  private settleStopped: (signal: string) => void = () => undefined;
  private onStop: ((signal: string) => void) | null = null;
  private onHangup: (() => void) | null = null;
  private readonly handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', () => this.stop('SIGTERM')],
    ['SIGINT', () => this.stop('SIGINT')],
    ['SIGHUP', () => this.onHangup?.()],
  ];

  constructor() {
    this.stopped = new Promise((resolve) => {
      this.settleStopped = resolve;
    });
    for (const [signal, handler] of this.handlers) process.on(signal, handler);
  }

  /** Who acts on a stop from now on; told at once of one that came before. */
  listen(onStop: (signal: string) => void, onHangup: () => void): void {
    this.onStop = onStop;
    this.onHangup = onHangup;
    if (this.stopSignal) onStop(this.stopSignal);
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }

  private stop(signal: string): void {
    this.stopSignal ??= signal;
    this.settleStopped(signal);
    this.onStop?.(signal);
  }
}
