/** A tmux call that failed: the argv it ran, its exit status and the tail of what it said. */
export class TmuxError extends Error {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  /** What the call printed before it failed (a chain's commands before the failing one). */
  readonly stdout: string;

  constructor(
    argv: readonly string[],
    exitCode: number | null,
    stderr: string,
    cause?: unknown,
    stdout = '',
  ) {
    const tail = stderr.trim().split('\n').slice(-3).join(' / ');
    super(
      `tmux ${argv.slice(0, 6).join(' ')}… failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${tail}`,
      {
        cause,
      },
    );
    this.name = 'TmuxError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.stdout = stdout;
  }

  /** tmux says this when no server listens on the socket: an empty world, not a failure. */
  get noServer(): boolean {
    return /no server running|error connecting to|server exited unexpectedly/i.test(this.stderr);
  }
}

/** No tmux binary where the client looks for it. */
export class TmuxMissingError extends Error {
  readonly bin: string;

  constructor(bin: string, cause?: unknown) {
    super(`tmux is not installed (no "${bin}" on PATH)`, { cause });
    this.name = 'TmuxMissingError';
    this.bin = bin;
  }
}

/** A tmux older than the client needs. */
export class TmuxVersionError extends Error {
  readonly version: readonly [number, number];
  readonly minimum: readonly [number, number];

  constructor(version: readonly [number, number], minimum: readonly [number, number]) {
    super(`tmux ${version.join('.')} is too old: holdfast needs tmux ${minimum.join('.')} or newer`);
    this.name = 'TmuxVersionError';
    this.version = version;
    this.minimum = minimum;
  }
}
