/**
 * One tmux client in control mode (`tmux -C`) that stays connected, so a command costs a line on a
 * pipe instead of a new tmux process (about 3 ms of a restart: docs/architecture.md, "Launching a
 * run"). A control client lives only while attached to a session: it attaches to one the caller
 * names (the daemon's watchdog session), without output or a say in the window's size.
 *
 * Each command of a line gets its own reply block, `%begin T N 1` … `%end T N 1` (or `%error`), in
 * the order sent; a chain stops at its first failing command, so a line of k commands is answered
 * by k blocks or by fewer ending in an error. Blocks with flags 0 are the server's own (the
 * attach itself) and belong to no request. Command output is not escaped in a block, so only
 * commands whose output holdfast chose (pids, its own messages) go this way, never a screen.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { TmuxError } from './errors.js';

interface Request {
  argv: readonly string[];
  commands: number;
  answered: number;
  stdout: string[];
  resolve(stdout: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const BLOCK = /^%(begin|end|error) (\d+) (\d+) (\d+)$/;

export interface ControlOptions {
  bin: string;
  /** The arguments before the command: socket and config file. */
  prefix: readonly string[];
  env: NodeJS.ProcessEnv;
  session: string;
  timeoutMs: number;
}

export class ControlConnection {
  private readonly child: ChildProcess;
  private readonly requests: Request[] = [];
  private readonly timeoutMs: number;
  private block: { number: string; mine: boolean; lines: string[] } | null = null;
  private closed = false;
  private attached = false;
  /** Resolves true once attached, false if the client could not attach (no server, no session). */
  readonly ready: Promise<boolean>;
  private settleReady: (attached: boolean) => void = () => undefined;

  constructor(options: ControlOptions) {
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
    });
    // In a session of its own, like every other call (client.ts says why). -N: attach-session
    // would otherwise start a server, with no session in it, where none runs (after a reboot):
    // whoever launches first must find no server, and start it with its sessions.
    this.child = spawn(
      options.bin,
      [
        ...options.prefix,
        '-N',
        '-C',
        'attach-session',
        '-f',
        'ignore-size,no-output',
        '-t',
        `=${options.session}`,
      ],
      { env: options.env, detached: true, stdio: ['pipe', 'pipe', 'ignore'] },
    );
    this.child.stdin?.on('error', () => this.close());
    this.child.on('error', () => this.close());
    this.child.on('close', () => this.close());
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    // Never what keeps a process alive: it ends when its owner does (stdin closes).
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout]) (stream as Socket | null)?.unref();
    this.timeoutMs = options.timeoutMs;
    const attachTimer = setTimeout(() => this.close(), options.timeoutMs);
    void this.ready.then(() => clearTimeout(attachTimer));
  }

  get alive(): boolean {
    return !this.closed;
  }

  /**
   * Sends one line of `commands` chained; resolves with what they printed, as a spawned call's
   * stdout, or fails with the error that stopped them (a TmuxError, its stdout what ran before).
   */
  send(argv: readonly string[], commands: number, line: string): Promise<string> {
    if (this.closed) return Promise.reject(lost(argv));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Stuck: the connection is dropped with all it carries, as a spawned call is killed.
        this.close(new TmuxError(argv, null, `no answer in ${this.timeoutMs} ms: killed`));
      }, this.timeoutMs);
      this.requests.push({ argv, commands, answered: 0, stdout: [], resolve, reject, timer });
      this.child.stdin?.write(`${line}\n`);
    });
  }

  close(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.settleReady(false);
    this.child.stdin?.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    for (const request of this.requests.splice(0)) {
      clearTimeout(request.timer);
      // Whether the server ran it is unknown, as when a server goes away mid-command.
      request.reject(reason ?? lost(request.argv));
    }
  }

  private onLine(line: string): void {
    const marker = BLOCK.exec(line);
    if (this.block === null) {
      if (marker?.[1] === 'begin') this.block = { number: marker[3]!, mine: marker[4] === '1', lines: [] };
      else if (line === '%exit' || line.startsWith('%exit ')) this.close();
      return;
    }
    if (marker === null || marker[1] === 'begin' || marker[3] !== this.block.number) {
      this.block.lines.push(line);
      return;
    }
    const { mine, lines } = this.block;
    this.block = null;
    const failed = marker[1] === 'error';
    if (!mine) {
      // The first is the attach's own block: the client is attached, or could not be. Any later
      // one is the server's (a hook's command that failed, say) and says nothing of this client.
      if (this.attached) return;
      if (failed) this.close();
      else {
        this.attached = true;
        this.settleReady(true);
      }
      return;
    }
    const request = this.requests[0];
    if (request === undefined) return;
    if (failed) {
      this.finish(request);
      request.reject(new TmuxError(request.argv, 1, lines.join('\n'), undefined, joinOutput(request.stdout)));
      return;
    }
    request.stdout.push(...lines);
    request.answered += 1;
    if (request.answered < request.commands) return;
    this.finish(request);
    request.resolve(joinOutput(request.stdout));
  }

  private finish(request: Request): void {
    clearTimeout(request.timer);
    this.requests.shift();
  }
}

function joinOutput(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function lost(argv: readonly string[]): TmuxError {
  return new TmuxError(argv, null, 'server exited unexpectedly (the control client went away)');
}

/**
 * Commands as one control-mode line that tmux parses into the same words a spawned call's argv
 * gives: single quotes take everything literally but a single quote, which goes in double quotes.
 * The words come as for argv (argv.ts): a trailing `\\;` is argv's escape for `;`, and is undone.
 * Null when a word cannot go on one line or would end a command in argv (a bare trailing `;`).
 */
export function controlLine(commands: readonly (readonly string[])[]): string | null {
  const words: string[][] = [];
  for (const command of commands) {
    const quoted: string[] = [];
    for (const word of command) {
      if (/[\n\r\0]/.test(word)) return null;
      let literal = word;
      if (word.endsWith('\\;')) literal = `${word.slice(0, -2)};`;
      else if (word.endsWith(';')) return null;
      quoted.push(`'${literal.replaceAll("'", `'"'"'`)}'`);
    }
    words.push(quoted);
  }
  return words.map((command) => command.join(' ')).join(' ; ');
}
