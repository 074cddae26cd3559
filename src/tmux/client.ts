import { spawn } from 'node:child_process';
import { chainCommands, cwdArg, escapeFormat, escapeTmuxArg, shellQuote } from './argv.js';
import { EVENTS_FILE_ENV } from './config.js';
import { ControlConnection, controlLine } from './control.js';
import { TmuxError, TmuxMissingError, TmuxVersionError } from './errors.js';
import { PANE_FORMAT, type PaneInfo, parsePaneList } from './panes.js';

export interface TmuxClientOptions {
  socket: string;
  configFile: string;
  eventsFile: string;
  /**
   * The environment of every call, and so of a server one of them starts. The server outlives that
   * call and serves every task: give it only what every task may see (no task's API key).
   */
  serverEnv: NodeJS.ProcessEnv;
  tmuxBin?: string;
  /** How long one call may take before it is killed and fails (default `TMUX_CALL_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/**
 * How long one tmux call may take. A call answers in milliseconds; on a loaded 2-core machine (the
 * chaos suite's 200 faults over 21 tasks next to other test suites) the slowest seen took 0.6 s, a
 * respawn-pane. One that has not answered in 5 s is stuck (a server stopped or wedged mid-command)
 * and would hold up everything after it in the daemon's pass: it fails like any failed call, and
 * the pass is retried. Under half the daemon's 10 s without a completed pass (host.ts,
 * STUCK_AFTER_MS), so one hung call is a failed pass, never a daemon taken for stuck and replaced.
 */
export const TMUX_CALL_TIMEOUT_MS = 5000;

/**
 * How much argv one chained invocation carries: a tmux client sends its whole command line in one
 * message of at most 16 KB (MAX_IMSGSIZE), and refuses more ("command too long").
 */
const CHAIN_BYTES = 12_000;

export interface PaneLaunch {
  /** Session name (new-session) or pane target (respawn). */
  target: string;
  cwd: string;
  argv: readonly string[];
  /** Pane user options (`@name` → value) set in the same invocation, before any output is read. */
  options: Record<string, string>;
  /** File the pane's raw output is appended to, attached in the same invocation as the start. */
  logFile: string;
  /** A writer that rotates `logFile` by size (see LogRotation); without it, one file grows. */
  logRotation?: LogRotation;
  width?: number;
  height?: number;
}

/**
 * The program that writes a pane's output in segments (libexec/log-pipe.pl): perl WRITER LOG MAX
 * KEEP. Where perl is missing the pipe falls back to dd, one unrotated file.
 */
export interface LogRotation {
  writer: string;
  maxBytes: number;
  keep: number;
}

const MIN_VERSION: [number, number] = [3, 2];

/** After a control client could not attach, calls are spawned for this long before it is tried again. */
const CONTROL_RETRY_MS = 1000;

/** One private tmux server, driven by argv only. Knows nothing of tasks. */
export class TmuxClient {
  readonly socket: string;
  private readonly configFile: string;
  private readonly bin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly attachEnv: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  /** `tmux -V`, asked once however many calls come before its answer. */
  private versionCheck: Promise<void> | null = null;
  private controlSession: string | null = null;
  private control: ControlConnection | null = null;
  private controlRetryAt = 0;

  constructor(options: TmuxClientOptions) {
    this.socket = options.socket;
    this.configFile = options.configFile;
    this.bin = options.tmuxBin ?? 'tmux';
    this.timeoutMs = options.timeoutMs ?? TMUX_CALL_TIMEOUT_MS;
    // The server inherits the environment of the call that starts it (the hook reads the events path
    // there). Commands sent to a running server carry it too: tmux copies `update-environment`
    // variables from the client into sessions.
    this.env = { ...options.serverEnv, [EVENTS_FILE_ENV]: options.eventsFile };
    // An attaching terminal is the user's own: it needs TERM, COLORTERM and the rest as they are.
    const attachEnv: NodeJS.ProcessEnv = { ...process.env, [EVENTS_FILE_ENV]: options.eventsFile };
    delete attachEnv.TMUX;
    delete attachEnv.TMUX_PANE;
    this.attachEnv = attachEnv;
  }

  /** Runs one tmux invocation on the private socket; resolves with its stdout. */
  async exec(args: readonly string[]): Promise<string> {
    await this.checkVersion();
    return this.spawn(['-S', this.socket, '-f', this.configFile, ...args]);
  }

  async chain(commands: readonly (readonly string[])[]): Promise<string> {
    return this.exec(chainCommands(commands));
  }

  /**
   * From now on, starts panes (newSessions, respawnPane) through one control client attached to
   * `session`, not a tmux process per call (control.ts). Where that client cannot attach (no server
   * yet, no such session), calls are spawned as before.
   */
  useControl(session: string): void {
    this.controlSession = session;
  }

  /** Attaches the control client now (useControl attaches at the first launch): tmux starts it while the caller does other work. */
  connectControl(): void {
    this.controlConnection().catch(() => undefined);
  }

  /** Ends the control client, if any; later calls are spawned. */
  closeControl(): void {
    this.controlSession = null;
    this.control?.close();
    this.control = null;
  }

  /** A launch's chain: through the control client where it is attached, else one spawned call. */
  private async launchChain(commands: readonly (readonly string[])[]): Promise<string> {
    const line = controlLine(commands);
    const connection = line === null ? null : await this.controlConnection();
    if (connection === null || line === null) return this.chain(commands);
    try {
      return await connection.send(chainCommands(commands), commands.length, line);
    } catch (error) {
      // The server the control client was attached to died before it answered (a server killed a
      // moment ago, whose client's end the daemon has not read yet when it relaunches what the
      // server took with it). Sessions are made again by a spawned call, which starts a server of
      // its own: tmux refuses a second session of one name, so no launch can start twice. A
      // respawn-pane (-k) is not tried again: it could.
      if (error instanceof TmuxError && error.noServer && commands[0]?.[0] === 'new-session') {
        return this.chain(commands);
      }
      throw error;
    }
  }

  private async controlConnection(): Promise<ControlConnection | null> {
    if (this.controlSession === null) return null;
    if (this.control?.alive) return (await this.control.ready) ? this.control : null;
    if (Date.now() < this.controlRetryAt) return null;
    await this.checkVersion();
    const connection = new ControlConnection({
      bin: this.bin,
      prefix: ['-S', this.socket, '-f', this.configFile],
      env: this.env,
      session: this.controlSession,
      timeoutMs: this.timeoutMs,
    });
    this.control = connection;
    if (await connection.ready) return connection;
    this.controlRetryAt = Date.now() + CONTROL_RETRY_MS;
    return null;
  }

  /** Every pane on the server in one call; null when no server runs on the socket. */
  async listPanes(): Promise<PaneInfo[] | null> {
    try {
      return parsePaneList(await this.exec(['list-panes', '-a', '-F', PANE_FORMAT]));
    } catch (error) {
      if (error instanceof TmuxError && error.noServer) return null;
      // A server with no session left answers -a with this instead of an empty list.
      if (error instanceof TmuxError && /no current target/i.test(error.stderr)) return [];
      throw error;
    }
  }

  /** Creates a session running `argv` with capture already attached; returns the pane's pid. */
  async newSession(launch: PaneLaunch): Promise<number> {
    return parsePid(await this.launchChain(this.newSessionCommands(launch)));
  }

  /**
   * Creates many sessions in a few invocations (`holdfast up`, a server restart): each invocation
   * chains as many new-session commands (with their options and pipe) as fit in what a tmux client
   * may send at once. Returns each pane's pid, or the error of that one launch: tmux stops a chain
   * at its first failing command, so the failed one is reported and those after it are tried again.
   */
  async newSessions(launches: readonly PaneLaunch[]): Promise<(number | Error)[]> {
    const results: (number | Error)[] = [];
    let at = 0;
    while (at < launches.length) {
      const group: string[][][] = [];
      let bytes = 0;
      for (let i = at; i < launches.length; i++) {
        const commands = this.newSessionCommands(launches[i]!);
        const size = commands.reduce((sum, command) => sum + commandBytes(command), 0);
        if (group.length > 0 && bytes + size > CHAIN_BYTES) break;
        group.push(commands);
        bytes += size;
      }
      try {
        const out = await this.launchChain(group.flat());
        for (const line of out.trim().split('\n')) results.push(parsePid(line));
        at += group.length;
      } catch (error) {
        if (!(error instanceof TmuxError)) throw error;
        // A launch prints its pid after its last command: those printed were made whole, and the
        // first one not printed is where the chain stopped.
        const made = error.stdout.trim() === '' ? [] : error.stdout.trim().split('\n');
        for (const line of made) results.push(parsePid(line));
        at += made.length;
        if (at < launches.length) results.push(error);
        at += 1;
      }
    }
    return results;
  }

  /** A session's commands, its pane's pid printed last (so only a launch made whole prints one). */
  private newSessionCommands(launch: PaneLaunch): string[][] {
    const target = `=${launch.target}:`;
    return [
      [
        'new-session',
        '-d',
        '-s',
        launch.target,
        '-c',
        cwdArg(launch.cwd),
        '-x',
        String(launch.width ?? 200),
        '-y',
        String(launch.height ?? 50),
        '--',
        ...launch.argv.map(escapeTmuxArg),
      ],
      ...optionCommands(target, launch.options),
      pipeCommand(target, launch.logFile, true, launch.logRotation),
      ['display-message', '-p', '-t', target, '#{pane_pid}'],
    ];
  }

  /** Starts `argv` again in an existing (dead) pane, so attached viewers stay attached. */
  async respawnPane(launch: PaneLaunch): Promise<number> {
    const target = launch.target;
    // pipe-pane without -o replaces the previous run's pipe; tmux reads no pane output until the
    // whole chain has run, so the new process's first byte already goes to the new log.
    const out = await this.launchChain([
      ['respawn-pane', '-k', '-t', target, '-c', cwdArg(launch.cwd), '--', ...launch.argv.map(escapeTmuxArg)],
      ...optionCommands(target, launch.options),
      pipeCommand(target, launch.logFile, false, launch.logRotation),
      ['display-message', '-p', '-t', target, '#{pane_pid}'],
    ]);
    return parsePid(out);
  }

  /**
   * Attaches `logFile` to a pane whose `pipe-pane` process has died, if the pane still carries the
   * user option `option` = `value` (it was not respawned for something else meanwhile). A pane that
   * has a pipe keeps it (`-o`). False when the pane is gone or carries another value.
   */
  async reattachPipe(
    target: string,
    logFile: string,
    option: string,
    value: string,
    rotation?: LogRotation,
  ): Promise<boolean> {
    let current: string;
    try {
      current = (await this.exec(['display-message', '-p', '-t', target, `#{${option}}`])).trim();
    } catch (error) {
      if (error instanceof TmuxError) return false;
      throw error;
    }
    if (current !== value) return false;
    await this.exec(pipeCommand(target, logFile, true, rotation));
    return true;
  }

  /**
   * Sets user options in one call: per session (a session that is gone is skipped, `-q`, and the
   * rest still set) and server-global ones. Values are stored as given (no `-F`): whoever reads one
   * through a format gets these bytes.
   */
  async setUserOptions(
    sessions: readonly { session: string; options: Record<string, string> }[],
    global: Record<string, string> = {},
  ): Promise<void> {
    const commands: string[][] = [];
    for (const { session, options } of sessions)
      for (const [name, value] of Object.entries(options))
        commands.push(['set-option', '-q', '-t', `=${session}:`, name, escapeTmuxArg(value)]);
    for (const [name, value] of Object.entries(global))
      commands.push(['set-option', '-g', name, escapeTmuxArg(value)]);
    await this.chainInGroups(commands);
  }

  /** Runs the commands chained, in as few invocations as fit a tmux client's message (CHAIN_BYTES). */
  async chainInGroups(commands: readonly (readonly string[])[]): Promise<void> {
    let group: (readonly string[])[] = [];
    let bytes = 0;
    for (const command of commands) {
      const size = commandBytes(command);
      if (group.length > 0 && bytes + size > CHAIN_BYTES) {
        await this.chain(group);
        group = [];
        bytes = 0;
      }
      group.push(command);
      bytes += size;
    }
    if (group.length > 0) await this.chain(group);
  }

  async hasSession(name: string): Promise<boolean> {
    try {
      await this.exec(['has-session', '-t', `=${name}`]);
      return true;
    } catch (error) {
      if (error instanceof TmuxError) return false;
      throw error;
    }
  }

  async killSession(name: string): Promise<void> {
    try {
      await this.exec(['kill-session', '-t', `=${name}`]);
    } catch (error) {
      if (error instanceof TmuxError && (error.noServer || /can't find session/i.test(error.stderr))) return;
      throw error;
    }
  }

  /** The server's pid, or null when no server runs on the socket. */
  async serverPid(): Promise<number | null> {
    try {
      const out = await this.exec(['display-message', '-p', '#{pid}']);
      return parsePid(out);
    } catch (error) {
      if (error instanceof TmuxError && error.noServer) return null;
      throw error;
    }
  }

  /** The visible screen of a pane, as text (no history: only the bottom of a TUI's screen is live). */
  async capturePane(target: string): Promise<string> {
    return this.exec(['capture-pane', '-p', '-t', target]);
  }

  /** Loads `text` into the named buffer from stdin: it never passes through argv or tmux's parser. */
  async loadBuffer(name: string, text: string): Promise<void> {
    await this.checkVersion();
    await this.spawn(['-S', this.socket, '-f', this.configFile, 'load-buffer', '-b', name, '-'], text);
  }

  /** Pastes the named buffer bracketed (`-p`) into the pane and deletes it (`-d`). */
  async pasteBuffer(name: string, target: string): Promise<void> {
    await this.exec(['paste-buffer', '-p', '-d', '-b', name, '-t', target]);
  }

  /** Whether the named buffer exists (a `paste-buffer -d` of it has not run). */
  async hasBuffer(name: string): Promise<boolean> {
    try {
      const out = await this.exec(['list-buffers', '-F', '#{buffer_name}']);
      return out.split('\n').includes(name);
    } catch (error) {
      if (error instanceof TmuxError) return false;
      throw error;
    }
  }

  /** Sends keys by name (`Enter`, `Escape`), never literal text. */
  async sendKeys(target: string, keys: readonly string[]): Promise<void> {
    await this.exec(['send-keys', '-t', target, ...keys]);
  }

  /** When each client attached to the session last used its keyboard (or attached), ms since the epoch. */
  async clientActivity(session: string): Promise<number[]> {
    try {
      const out = await this.exec(['list-clients', '-t', `=${session}`, '-F', '#{client_activity}']);
      return out
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map((l) => Number(l) * 1000);
    } catch (error) {
      if (error instanceof TmuxError) return [];
      throw error;
    }
  }

  /** The argv that attaches a terminal to a session on this server (for a foreground child). */
  attachArgv(session: string, readOnly = false): string[] {
    return [
      this.bin,
      '-S',
      this.socket,
      '-f',
      this.configFile,
      'attach-session',
      ...(readOnly ? ['-r'] : []),
      '-t',
      `=${session}`,
    ];
  }

  /** The environment for a foreground `attachArgv` client: the user's, not the server's minimal one. */
  get environment(): NodeJS.ProcessEnv {
    return this.attachEnv;
  }

  /** Fails with TmuxMissingError or TmuxVersionError when tmux is missing or older than 3.2. */
  async ensureAvailable(): Promise<void> {
    await this.checkVersion();
  }

  private checkVersion(): Promise<void> {
    this.versionCheck ??= (async () => {
      const out = await this.spawn(['-V']);
      const version = parseTmuxVersion(out);
      if (version !== null && compareVersion(version, MIN_VERSION) < 0) {
        throw new TmuxVersionError(version, MIN_VERSION);
      }
    })().catch((error: unknown) => {
      // Asked again next time: tmux may be installed or upgraded meanwhile.
      this.versionCheck = null;
      throw error;
    });
    return this.versionCheck;
  }

  private spawn(argv: readonly string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      // In a session of its own, with no controlling terminal (`detached`, which execFile does not
      // offer): the daemon runs in the watchdog's pane, and a hangup of that terminal (the pane
      // respawned, the server killed) must not kill a client halfway through starting a task.
      const child = spawn(this.bin, argv, {
        env: this.env,
        detached: true,
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      if (input !== undefined) {
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(input);
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        finish();
      };
      const timer = setTimeout(() => {
        // The call fails now, whatever it still does: the client is killed, and what the server did
        // for it (a pane created) is for the caller to find in a listing, as after any failed call.
        child.kill('SIGKILL');
        settle(() => reject(new TmuxError(argv, null, `no answer in ${this.timeoutMs} ms: killed`)));
      }, this.timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) =>
        settle(() => {
          if (error.code === 'ENOENT') reject(new TmuxMissingError(this.bin, error));
          else reject(new TmuxError(argv, null, error.message, error));
        }),
      );
      child.on('close', (code, signal) =>
        settle(() => {
          const stdout = Buffer.concat(out).toString('utf8');
          if (code === 0) return resolve(stdout);
          const stderr = Buffer.concat(err).toString('utf8');
          reject(
            new TmuxError(
              argv,
              code,
              stderr || (signal ? `killed by ${signal}` : `exit ${code}`),
              undefined,
              stdout,
            ),
          );
        }),
      );
    });
  }
}

/**
 * Without -F, set-option stores the value as given. The pane-died hook splices `#{@hf_run}` into a
 * shell command, though, so a value is limited to characters no shell or format gives a meaning.
 */
function optionCommands(target: string, options: Record<string, string>): string[][] {
  return Object.entries(options).map(([name, value]) => {
    if (!/^[A-Za-z0-9._-]*$/.test(value))
      throw new Error(`pane option ${name}: unsafe value ${JSON.stringify(value)}`);
    return ['set-option', '-p', '-t', target, name, escapeTmuxArg(value)];
  });
}

function pipeCommand(target: string, logFile: string, onlyIfNone = true, rotation?: LogRotation): string[] {
  // tmux expands formats in this string (`#(…)` would run): the path must reach it literally. Not
  // `cat >>`: dd's oflag=nofollow refuses a link planted at the log after holdfast created it, as
  // the writer's O_NOFOLLOW does.
  const quote = (text: string) => escapeFormat(shellQuote(text));
  const sink = `of=${logFile}`;
  const dd = `exec dd ${quote(sink)} oflag=append,nofollow conv=notrunc bs=64K status=none`;
  const command = rotation
    ? `command -v perl >/dev/null 2>&1 && exec perl ${[rotation.writer, logFile, String(rotation.maxBytes), String(rotation.keep)].map(quote).join(' ')}; ${dd}`
    : dd;
  return ['pipe-pane', ...(onlyIfNone ? ['-o'] : []), '-t', target, command];
}

/** What a command adds to a chained invocation's message: its words, each with its terminator, and the `;`. */
function commandBytes(command: readonly string[]): number {
  return command.reduce((sum, word) => sum + Buffer.byteLength(word) + 1, 2);
}

function parsePid(stdout: string): number {
  const pid = Number.parseInt(stdout.trim().split('\n').pop() ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0)
    throw new Error(`tmux did not report a pid (got ${JSON.stringify(stdout)})`);
  return pid;
}

export function parseTmuxVersion(text: string): [number, number] | null {
  const match = /(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
