/**
 * The daemon's signals, from its first moment: SIGTERM and SIGINT ask it to stop, SIGHUP is
 * survived (the watchdog's pane going away with a killed tmux server must not take the daemon
 * with it). Taken before the store is opened, not once the loop's code is loaded: a SIGTERM that
 * came while `host.js` loaded (tens of ms after the lease was taken) used to end the process by
 * the signal's default, holding a lease it never released.
 */
export class DaemonSignals {
  private readonly abort = new AbortController();
  /** Aborted by the first stop signal, its name the reason: a wait before the lease ends on it. */
  readonly stopped: AbortSignal = this.abort.signal;
  private onStop: ((signal: string) => void) | null = null;
  private onHangup: (() => void) | null = null;
  private readonly handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', () => this.stop('SIGTERM')],
    ['SIGINT', () => this.stop('SIGINT')],
    ['SIGHUP', () => this.onHangup?.()],
  ];

  constructor() {
    for (const [signal, handler] of this.handlers) process.on(signal, handler);
  }

  /** The first stop signal received, if any. */
  get stopSignal(): string | null {
    return this.stopped.aborted ? (this.stopped.reason as string) : null;
  }

  /** Who acts on a stop from now on; told at once of one that came before. */
  listen(onStop: (signal: string) => void, onHangup: () => void): void {
    this.onStop = onStop;
    this.onHangup = onHangup;
    const early = this.stopSignal;
    if (early) onStop(early);
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }

  private stop(signal: string): void {
    if (!this.stopped.aborted) this.abort.abort(signal);
    this.onStop?.(signal);
  }
}
