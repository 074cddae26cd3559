/**
 * The chaos suite: command tasks that print numbered lines (and write each to a side file once
 * printed), a fake headless agent and the fake claude TUI sent inputs, under a seeded stream of
 * faults, then checks that nothing was lost, repeated or run twice, and each input delivered once.
 *
 *   npm run chaos -- [--faults 1000] [--tasks 20] [--seed N]
 *
 * Prints the seed first, a table at the end (stdout; progress on stderr), and exits 1 when a check
 * fails, naming the check and the seed. Everything runs in a private home removed at the end; every
 * signal goes to a pid read from that home (its pid file, its tmux server, its task panes).
 */

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { cleanupAll, startCleanupGuards } from '../../bench/lib/cleanup.js';
import { exec } from '../../bench/lib/exec.js';
import { summarize } from '../../bench/lib/stats.js';
import { nowMs, sleep } from '../../bench/lib/time.js';
import { userPromptOf } from '../../src/agents/claude-transcript.js';
import { prng } from '../helpers/random.js';
import { ChaosHome, type Pane, parentPid, procState, signalSame, startTime, WATCHDOG } from './home.js';
import { checkRun, EXCUSED, type LostWhy, parseLines, type RunCheck } from './lines.js';
import { checkInputs, checkSessions, type InputCheck, refusalExcused, type TuiLaunch } from './tui.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'holdfast.js');
const WRITER = join(ROOT, 'test', 'chaos', 'writer.sh');
const FAKE_BIN = join(ROOT, 'test', 'fixtures', 'fake-agent', 'bin');
const TUI_BIN = join(ROOT, 'test', 'fixtures', 'fake-tui', 'bin');
const AGENT = 'agent';
/** The interactive agent: the fake claude TUI, sent inputs during the faults. */
const TUI = 'tui';

type Kind =
  | 'task kill -9'
  | 'task SIGSTOP'
  | 'daemon kill -9'
  | 'daemon SIGSTOP'
  | 'watchdog kill -9'
  | 'daemon + watchdog kill -9'
  | 'daemon + tmux server kill -9'
  | 'tmux server kill -9'
  | 'log truncated'
  | 'store locked'
  | 'disk full'
  | 'agent killed mid-turn'
  | 'agent killed mid-input'
  | 'daemon killed mid-input';

const WEIGHTS: [Kind, number][] = [
  ['task kill -9', 24],
  ['task SIGSTOP', 8],
  ['daemon kill -9', 12],
  ['daemon SIGSTOP', 6],
  ['watchdog kill -9', 6],
  ['daemon + watchdog kill -9', 4],
  ['daemon + tmux server kill -9', 2],
  ['tmux server kill -9', 3],
  ['log truncated', 8],
  ['store locked', 5],
  ['disk full', 3],
  ['agent killed mid-turn', 8],
  ['agent killed mid-input', 6],
  ['daemon killed mid-input', 3],
];

/** The states of an input under way, in order: a mid-input fault lands in one of them. */
const MID_INPUT = ['sending', 'sent', 'submitted'] as const;

/** An input `holdfast send` accepted. */
interface Sent {
  id: number;
  text: string;
}

interface Args {
  faults: number;
  tasks: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { faults: 1000, tasks: 20, seed: Date.now() % 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = Number(argv[++i]);
    if (!['--faults', '--tasks', '--seed'].includes(flag) || !Number.isSafeInteger(value) || value < 0) {
      process.stderr.write('usage: npm run chaos -- [--faults N] [--tasks N] [--seed N]\n');
      process.exit(2);
    }
    args[flag.slice(2) as keyof Args] = value;
  }
  return args;
}

interface View {
  at: number;
  panes: Pane[] | null;
  /** task name → its open run id (null when none). */
  open: Map<string, number | null>;
  lease: { pid: number; live: boolean } | null;
  /** Tasks in a final state: nothing brings them back without the user. */
  final: string[];
}

interface Fault {
  kind: Kind;
  at: number;
  /** When the fault was lifted (SIGCONT, unlock, space freed); null while it lasts. */
  endAt: number | null;
  recovered: (v: View) => boolean;
  recoveredAt: number | null;
}

const log = (line: string) => process.stderr.write(`chaos: ${line}\n`);

class Chaos {
  readonly random: () => number;
  readonly names: string[];
  readonly faults: Fault[] = [];
  readonly failures: string[] = [];
  readonly active = new Set<Kind>();
  readonly truncatedUpTo = new Map<number, number>();
  readonly diskFull: [number, number][] = [];
  readonly timers = new Set<() => void>();
  readonly lockHolders: Database.Database[] = [];
  samples = 0;
  twoRunsSeen = 0;
  twoHoldersSeen = 0;
  private twoHoldersSince: number | null = null;
  private sampling = true;
  private view: View | null = null;
  private readonly startedDaemons = new Set<number>();
  private lastEventId = 0;
  /** Inputs, from their own stream so the faults' draws stay those of the seed. */
  readonly inputRandom: () => number;
  readonly sent: Sent[] = [];
  /** Each refused send, with its span from start to exit. */
  readonly sendRefused: { text: string; span: [number, number]; stderr: string }[] = [];
  /** The input's state when a mid-input fault killed its agent or daemon. */
  readonly killedIn = new Map<string, number>();
  private inputsMade = 0;
  private sending = true;

  constructor(
    readonly h: ChaosHome,
    readonly args: Args,
  ) {
    this.random = prng(args.seed);
    this.inputRandom = prng(args.seed + 1);
    this.names = Array.from({ length: args.tasks }, (_, i) => `w${i + 1}`);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** A command task that is up now (a fault on a task that is down would test nothing new). */
  pickUp(): string {
    const v = this.view;
    const up = v ? this.names.filter((n) => Chaos.up(v, n) !== null) : [];
    return this.pick(up.length > 0 ? up : this.names);
  }

  sideFile(name: string): string {
    return join(this.h.dir, `side-${name}.txt`);
  }

  async setup(): Promise<void> {
    const env = this.h.env;
    const runOne = async (name: string) => {
      const r = await exec(
        process.execPath,
        [
          BIN,
          'run',
          '--name',
          name,
          '--restart',
          'always',
          '--backoff',
          '50ms..200ms',
          '--crash-loop',
          '100000/10m',
          // Every run's log is checked at the end: retention must not remove any of them.
          '--keep-runs',
          '100000',
          '--',
          'bash',
          WRITER,
          this.sideFile(name),
          '0.1',
        ],
        { env, cwd: this.h.dir },
      );
      if (r.code !== 0) throw new Error(`holdfast run ${name} exited ${r.code}: ${r.stderr}`);
    };
    for (let i = 0; i < this.names.length; i += 4) await Promise.all(this.names.slice(i, i + 4).map(runOne));
    // A long turn of short messages: a kill lands mid-turn, and the run never ends on its own.
    const steps = Array.from({ length: 3000 }, (_, i) => [{ say: `step ${i}` }, { sleep: 400 }]).flat();
    const r = await exec(
      process.execPath,
      [
        BIN,
        'run',
        '--name',
        AGENT,
        '--agent',
        'claude',
        '--restart',
        'always',
        '--backoff',
        '50ms..200ms',
        '--crash-loop',
        '100000/10m',
        '--keep-runs',
        '100000',
        '--prompt',
        'chaos',
      ],
      {
        env: {
          ...env,
          PATH: `${FAKE_BIN}:${process.env.PATH}`,
          FAKE_AGENT_STATE: join(this.h.dir, 'fake-agent'),
          FAKE_AGENT_SCENARIO: JSON.stringify({ default: { steps } }),
        },
        cwd: this.h.dir,
      },
    );
    if (r.code !== 0) throw new Error(`holdfast run ${AGENT} exited ${r.code}: ${r.stderr}`);
    await this.setupTui();
  }

  /** The fake claude TUI (test/helpers/fake-tui.ts's setup): onboarded HOME, trusted folder, records. */
  private async setupTui(): Promise<void> {
    const user = this.tuiUser();
    const work = this.tuiWork();
    for (const d of [user, work, this.tuiState()]) mkdirSync(d, { recursive: true });
    writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
    // The user's own prompt hook, a slow one (claude runs it beside holdfast's and sends the prompt
    // once both have ended, INTERACTIVE.md §3): a mid-input kill often lands while it runs, after
    // holdfast's hook has written the line that says the TUI took the input.
    mkdirSync(join(user, '.claude'), { recursive: true });
    const hook = { type: 'command', command: 'sleep 0.3' };
    writeFileSync(
      join(user, '.claude', 'settings.json'),
      JSON.stringify({ hooks: { UserPromptSubmit: [{ matcher: '', hooks: [hook] }] } }),
    );
    // A short turn per prompt: a kill can land mid-turn, and an input waits for it (not --now).
    const scenario = { default: [{ say: 'on it' }, { sleep: 600 }, { say: 'done' }] };
    const r = await exec(
      process.execPath,
      [
        BIN,
        'run',
        '--name',
        TUI,
        '--agent',
        'claude',
        '--interactive',
        '--trust',
        '-C',
        work,
        '--restart',
        'always',
        '--backoff',
        '50ms..200ms',
        '--crash-loop',
        '100000/10m',
        '--keep-runs',
        '100000',
      ],
      {
        env: {
          ...this.h.env,
          PATH: `${TUI_BIN}:${process.env.PATH}`,
          HOME: user,
          FAKE_TUI_STATE: this.tuiState(),
          FAKE_TUI_SCENARIO: JSON.stringify(scenario),
        },
        cwd: this.h.dir,
      },
    );
    if (r.code !== 0) throw new Error(`holdfast run ${TUI} exited ${r.code}: ${r.stderr}`);
  }

  tuiUser(): string {
    return join(this.h.tuiDir, 'user');
  }

  tuiWork(): string {
    return join(this.h.tuiDir, 'work');
  }

  tuiState(): string {
    return join(this.h.tuiDir, 'state');
  }

  /** `holdfast send` of the next unique text; its input id, or null when send refused it. */
  async sendInput(): Promise<number | null> {
    const text = `chaos input ${++this.inputsMade}`;
    const at = nowMs();
    const r = await exec(process.execPath, [BIN, 'send', TUI, text, '--json'], {
      env: this.h.env,
      cwd: this.h.dir,
    });
    if (r.code !== 0) {
      this.sendRefused.push({
        text,
        span: [at, nowMs()],
        stderr: `exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`,
      });
      return null;
    }
    const id = (JSON.parse(r.stdout) as { id: number }).id;
    this.sent.push({ id, text });
    return id;
  }

  /** One send every 3–7 s while the faults go on. */
  async sender(): Promise<void> {
    while (this.sending) {
      const until = nowMs() + 3000 + this.inputRandom() * 4000;
      while (this.sending && nowMs() < until) await sleep(100);
      if (!this.sending) break;
      try {
        await this.sendInput();
      } catch (error) {
        const stderr = error instanceof Error ? error.message : String(error);
        this.sendRefused.push({ text: 'a send', span: [nowMs(), nowMs()], stderr });
      }
    }
  }

  stopSending(): void {
    this.sending = false;
  }

  inputRow(id: number): { state: string; run_id: number | null } | null {
    return (
      (this.h.db.prepare('SELECT state, run_id FROM inputs WHERE id = ?').get(id) as
        | { state: string; run_id: number | null }
        | undefined) ?? null
    );
  }

  /**
   * Sends an input and waits until its delivery has reached a seeded one of `sending` (being
   * pasted), `sent` (Enter pressed) and `submitted` (taken by the TUI, not yet kept by its
   * conversation), then a seeded 0–300 ms more; null if it never got there or was already
   * confirmed or failed by then.
   */
  async midInput(): Promise<{ id: number; state: string; runId: number | null } | null> {
    const id = await this.sendInput();
    if (id === null) return null;
    const deadline = nowMs() + 5000;
    // A seeded one of the three, each window hit as often: `submitted` (taken, not kept) is the
    // one a kill in the TUI's prompt hooks or before its transcript line lands in.
    const target = MID_INPUT.indexOf(this.pick(MID_INPUT));
    const delay = this.random() * 300;
    let startedAt: number | null = null;
    while (nowMs() < deadline) {
      let row: ReturnType<Chaos['inputRow']> = null;
      try {
        row = this.inputRow(id);
      } catch {
        // the store locked for a moment
      }
      if (row && (row.state === 'confirmed' || row.state === 'failed')) return null;
      if (row && MID_INPUT.indexOf(row.state as (typeof MID_INPUT)[number]) >= target) {
        startedAt ??= nowMs();
        if (nowMs() - startedAt >= delay) return { id, state: row.state, runId: row.run_id };
      }
      await sleep(5);
    }
    return null;
  }

  allNames(): string[] {
    return [...this.names, AGENT, TUI];
  }

  async observe(): Promise<View> {
    const panes = await this.h.panes();
    const open = new Map<string, number | null>();
    for (const name of this.allNames()) open.set(name, null);
    const rows = this.h.db
      .prepare(
        'SELECT t.name AS name, r.id AS id FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.ended_at IS NULL',
      )
      .all() as { name: string; id: number }[];
    for (const row of rows) open.set(row.name, row.id);
    const lease = this.h.db.prepare('SELECT pid FROM lease WHERE id = 1').get() as
      | { pid: number }
      | undefined;
    const final = (
      this.h.db.prepare("SELECT name FROM tasks WHERE state IN ('failed', 'stopped', 'succeeded')").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    return {
      final,
      at: nowMs(),
      panes,
      open,
      // A stopped (T) or dead daemon holds the lease without doing anything.
      lease: lease
        ? {
            pid: lease.pid,
            live: this.h.isOurs(lease.pid) && ['R', 'S', 'D'].includes(procState(lease.pid) ?? ''),
          }
        : null,
    };
  }

  /** A task is up when its live pane carries its open run. */
  static up(v: View, name: string): number | null {
    const run = v.open.get(name) ?? null;
    const pane = v.panes?.find((p) => p.session === name && !p.dead);
    return run !== null && pane?.runId === run ? run : null;
  }

  static daemonUp(v: View, not: number | null = null): boolean {
    return v.lease?.live === true && v.lease.pid !== not;
  }

  static allUp(v: View, names: readonly string[]): boolean {
    return names.every((n) => Chaos.up(v, n) !== null) && Chaos.daemonUp(v);
  }

  /** Samples every 100 ms: the invariants that must hold at every instant, and the recoveries. */
  async sampler(): Promise<void> {
    while (this.sampling) {
      try {
        const v = await this.observe();
        this.view = v;
        this.samples++;
        const two = this.h.db
          .prepare(
            'SELECT task_id, count(*) AS c FROM runs WHERE ended_at IS NULL GROUP BY task_id HAVING c > 1',
          )
          .all() as { task_id: number; c: number }[];
        if (two.length > 0) {
          this.twoRunsSeen++;
          this.fail(
            `two live runs of one task (task ids ${two.map((t) => t.task_id).join(', ')}) at ${new Date().toISOString()}`,
          );
        }
        this.checkHolders(v.at);
        for (const f of this.faults) {
          if (f.recoveredAt === null && f.endAt !== null && f.recovered(v)) f.recoveredAt = v.at;
        }
      } catch {
        // the store locked or the disk full for a moment: the next sample sees it
      }
      await sleep(100);
    }
  }

  /** Daemons that journaled taking the lease and still run unstopped: two for 4 s is two holders. */
  private checkHolders(at: number): void {
    const rows = this.h.db
      .prepare("SELECT id, data FROM events WHERE type = 'daemon-started' AND id > ?")
      .all(this.lastEventId) as { id: number; data: string }[];
    for (const row of rows) {
      this.lastEventId = Math.max(this.lastEventId, row.id);
      this.startedDaemons.add((JSON.parse(row.data) as { pid: number }).pid);
    }
    const live = this.h
      .daemonProcesses()
      .filter((pid) => this.startedDaemons.has(pid) && procState(pid) !== 'T');
    if (live.length < 2) {
      this.twoHoldersSince = null;
      return;
    }
    this.twoHoldersSince ??= at;
    // A daemon that lost the lease finds out at its next heartbeat (2 s) and exits.
    if (at - this.twoHoldersSince > 4000) {
      this.twoHoldersSeen++;
      this.fail(`two lease holders for ${Math.round(at - this.twoHoldersSince)} ms: pids ${live.join(', ')}`);
      this.twoHoldersSince = null;
    }
  }

  fail(message: string): void {
    // A tmux error repeats the whole command line: the start says what failed.
    const short = message.length > 600 ? `${message.slice(0, 600)}…` : message;
    if (this.failures.length < 400) this.failures.push(short);
  }

  current(): View {
    if (!this.view) throw new Error('no view yet');
    return this.view;
  }

  /** Runs `lift` after `ms`, or at once if the suite ends first. */
  later(ms: number, lift: () => void): void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      this.timers.delete(once);
      lift();
    };
    this.timers.add(once);
    setTimeout(once, ms);
  }

  liftAll(): void {
    for (const lift of [...this.timers]) lift();
  }

  record(kind: Kind, recovered: (v: View) => boolean, lasting = false): Fault {
    const at = nowMs();
    const fault: Fault = { kind, at, endAt: lasting ? null : at, recovered, recoveredAt: null };
    this.faults.push(fault);
    return fault;
  }

  async livePane(name: string): Promise<Pane | null> {
    const panes = await this.h.panes();
    return panes?.find((p) => p.session === name && !p.dead && p.runId !== null) ?? null;
  }

  /** Injects one fault of `kind`; false when there was nothing to inject it into (it is not counted). */
  async inject(kind: Kind): Promise<boolean> {
    const { h } = this;
    switch (kind) {
      case 'task kill -9':
      case 'agent killed mid-turn': {
        const name = kind === 'task kill -9' ? this.pickUp() : AGENT;
        const pane = await this.livePane(name);
        if (!pane || !h.isOurs(pane.pid)) return false;
        process.kill(pane.pid, 'SIGKILL');
        const killed = pane.runId;
        this.record(kind, (v) => {
          const up = Chaos.up(v, name);
          return up !== null && up !== killed;
        });
        return true;
      }
      case 'agent killed mid-input': {
        const input = await this.midInput();
        if (!input) return false;
        const pane = await this.livePane(TUI);
        // Only the run the input is being typed into: a kill of another would test nothing new.
        if (!pane || pane.runId !== input.runId) return false;
        // The TUI itself (the pane's process is holdfast's launch.pl, its parent), as a crash.
        const row = h.db.prepare('SELECT task_pid FROM runs WHERE id = ?').get(input.runId) as
          | { task_pid: number | null }
          | undefined;
        const pid = row?.task_pid ?? null;
        if (pid === null || parentPid(pid) !== pane.pid) return false;
        process.kill(pid, 'SIGKILL');
        this.killedIn.set(input.state, (this.killedIn.get(input.state) ?? 0) + 1);
        this.record(kind, (v) => {
          const up = Chaos.up(v, TUI);
          return up !== null && up !== pane.runId;
        });
        return true;
      }
      case 'daemon killed mid-input': {
        const input = await this.midInput();
        if (!input) return false;
        const pid = h.daemonPid();
        if (pid === null) return false;
        process.kill(pid, 'SIGKILL');
        this.killedIn.set(input.state, (this.killedIn.get(input.state) ?? 0) + 1);
        this.record(kind, (v) => Chaos.daemonUp(v, pid));
        return true;
      }
      case 'task SIGSTOP': {
        const name = this.pickUp();
        const pane = await this.livePane(name);
        if (!pane || !h.isOurs(pane.pid)) return false;
        const start = startTime(pane.pid);
        signalSame(pane.pid, start, 'SIGSTOP');
        const fault = this.record(kind, (v) => Chaos.up(v, name) !== null, true);
        this.active.add(kind);
        this.later(500 + this.random() * 1500, () => {
          signalSame(pane.pid, start, 'SIGCONT');
          fault.endAt = nowMs();
          this.active.delete(kind);
        });
        return true;
      }
      case 'daemon kill -9': {
        const pid = h.daemonPid();
        if (pid === null) return false;
        process.kill(pid, 'SIGKILL');
        this.record(kind, (v) => Chaos.daemonUp(v, pid));
        return true;
      }
      case 'daemon SIGSTOP': {
        const pid = h.daemonPid();
        if (pid === null) return false;
        const start = startTime(pid);
        signalSame(pid, start, 'SIGSTOP');
        const fault = this.record(kind, (v) => Chaos.daemonUp(v), true);
        this.active.add(kind);
        this.later(500 + this.random() * 2000, () => {
          signalSame(pid, start, 'SIGCONT');
          fault.endAt = nowMs();
          this.active.delete(kind);
        });
        return true;
      }
      case 'watchdog kill -9':
      case 'daemon + watchdog kill -9': {
        const pane = (await h.panes())?.find((p) => p.session === WATCHDOG && !p.dead);
        if (!pane || !h.isOurs(pane.pid)) return false;
        const daemon = kind === 'daemon + watchdog kill -9' ? h.daemonPid() : null;
        if (kind === 'daemon + watchdog kill -9' && daemon === null) return false;
        if (daemon !== null) process.kill(daemon, 'SIGKILL');
        process.kill(pane.pid, 'SIGKILL');
        this.record(kind, (v) => {
          const wd = v.panes?.find((p) => p.session === WATCHDOG && !p.dead);
          return wd !== undefined && wd.pid !== pane.pid && Chaos.daemonUp(v, daemon);
        });
        return true;
      }
      case 'tmux server kill -9':
      case 'daemon + tmux server kill -9': {
        const server = await h.serverPid();
        if (server === null || !h.isOurs(server)) return false;
        const daemon = kind === 'daemon + tmux server kill -9' ? h.daemonPid() : null;
        if (kind === 'daemon + tmux server kill -9' && daemon === null) return false;
        const before = new Map(this.allNames().map((n) => [n, Chaos.up(this.current(), n)]));
        if (daemon !== null) process.kill(daemon, 'SIGKILL');
        process.kill(server, 'SIGKILL');
        this.record(
          kind,
          (v) =>
            this.allNames().every((n) => {
              const up = Chaos.up(v, n);
              return up !== null && up !== before.get(n);
            }) && Chaos.daemonUp(v, daemon),
        );
        return true;
      }
      case 'log truncated': {
        const name = this.pickUp();
        const row = h.db
          .prepare(
            'SELECT r.id AS id, r.n AS n, r.log_path AS path FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = ? AND r.ended_at IS NULL',
          )
          .get(name) as { id: number; n: number; path: string } | undefined;
        if (!row || !existsSync(row.path)) return false;
        const text = readFileSync(row.path);
        const ends = [0];
        for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) ends.push(i + 1);
        truncateSync(row.path, this.pick(ends));
        const side = parseLines(readFileSync(this.sideFile(name), 'utf8')).filter((l) => l.run === row.n);
        const upTo = Math.max(0, ...side.map((l) => l.n));
        this.truncatedUpTo.set(row.id, Math.max(upTo, this.truncatedUpTo.get(row.id) ?? 0));
        this.record(kind, (v) => Chaos.up(v, name) !== null);
        return true;
      }
      case 'store locked': {
        const db = new Database(join(h.dir, 'holdfast.db'), { timeout: 2000 });
        try {
          db.exec('BEGIN EXCLUSIVE');
        } catch {
          db.close();
          return false;
        }
        this.lockHolders.push(db);
        const fault = this.record(kind, (v) => Chaos.daemonUp(v), true);
        this.active.add(kind);
        this.later(1000 + this.random() * 3000, () => {
          db.exec('COMMIT');
          db.close();
          fault.endAt = nowMs();
          this.active.delete(kind);
        });
        return true;
      }
      case 'disk full': {
        const filler = join(h.dir, 'filler');
        const fd = openSync(filler, 'w', 0o600);
        const chunk = Buffer.alloc(1 << 20);
        const from = nowMs();
        try {
          for (;;) writeSync(fd, chunk);
        } catch {
          // ENOSPC: full
        }
        try {
          for (;;) writeSync(fd, chunk, 0, 512);
        } catch {
          // the last blocks
        }
        closeSync(fd);
        const window: [number, number] = [from, Number.POSITIVE_INFINITY];
        this.diskFull.push(window);
        const fault = this.record(kind, (v) => Chaos.allUp(v, this.allNames()), true);
        this.active.add(kind);
        this.later(800 + this.random() * 1700, () => {
          unlinkSync(filler);
          window[1] = nowMs();
          fault.endAt = window[1];
          this.active.delete(kind);
        });
        return true;
      }
    }
  }

  pickKind(): Kind {
    const kinds = WEIGHTS.filter(([k]) => (k !== 'disk full' || this.h.tmpfs) && !this.active.has(k));
    const total = kinds.reduce((a, [, w]) => a + w, 0);
    let r = this.random() * total;
    for (const [k, w] of kinds) {
      r -= w;
      if (r <= 0) return k;
    }
    return kinds[kinds.length - 1]![0];
  }

  async waitFor(what: string, ok: (v: View) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline) {
      const v = this.view;
      if (v && v.at > nowMs() - 300 && ok(v)) return true;
      // A failed task stays failed: waiting longer only hides which check failed.
      if (v && v.final.length > 0) {
        this.fail(`${what}: ${v.final.join(', ')} ended for good (see below)`);
        return false;
      }
      await sleep(50);
    }
    this.fail(`${what}: not within ${timeoutMs / 1000} s`);
    return false;
  }

  stop(): void {
    this.sampling = false;
  }
}

interface Report {
  runs: number;
  checks: RunCheck[];
  lostBy: Map<LostWhy, number>;
}

function checkLines(c: Chaos, h: ChaosHome, sides: Map<string, string>): Report {
  const runs = h.db
    .prepare(
      'SELECT r.id AS id, r.n AS n, t.name AS name, r.log_path AS path, r.ended_at AS ended, r.end_reason AS reason FROM runs r JOIN tasks t ON t.id = r.task_id',
    )
    .all() as {
    id: number;
    n: number;
    name: string;
    path: string;
    ended: number | null;
    reason: string | null;
  }[];
  const checks: RunCheck[] = [];
  const lostBy = new Map<LostWhy, number>();
  for (const run of runs) {
    if (run.name === AGENT || run.name === TUI) continue;
    const side = parseLines(sides.get(run.name) ?? '');
    const logText = existsSync(run.path) ? readFileSync(run.path, 'utf8') : '';
    const check = checkRun(side, parseLines(logText), {
      run: run.n,
      ended: run.ended === null ? null : run.reason === 'server-lost' ? 'server-lost' : 'other',
      truncatedUpTo: c.truncatedUpTo.get(run.id) ?? null,
      diskFull: c.diskFull,
    });
    checks.push(check);
    const byWhy = new Map<LostWhy, number[]>();
    for (const l of check.lost) {
      lostBy.set(l.why, (lostBy.get(l.why) ?? 0) + 1);
      byWhy.set(l.why, [...(byWhy.get(l.why) ?? []), l.n]);
    }
    for (const [why, ns] of byWhy) {
      if (EXCUSED.has(why)) continue;
      const span = ns.length === 1 ? `line ${ns[0]}` : `${ns.length} lines (${ns[0]}–${ns[ns.length - 1]})`;
      c.fail(`${run.name} run ${run.n} (${run.reason ?? 'exited'}): ${span} not in ${run.path} (${why})`);
    }
    const relaunched = (
      h.db
        .prepare("SELECT count(*) AS c FROM events WHERE run_id = ? AND type = 'launch-resumed'")
        .get(run.id) as { c: number }
    ).c;
    const note = relaunched > 0 ? ` (the run was launched again: ${relaunched} launch-resumed)` : '';
    if (check.duplicated.length > 0)
      c.fail(`${run.name} run ${run.n}: lines ${check.duplicated.join(', ')} are in its log twice${note}`);
    if (check.outOfOrder.length > 0)
      c.fail(
        `${run.name} run ${run.n}: lines ${check.outOfOrder.join(', ')} are out of order in its log${note}`,
      );
  }
  return { runs: runs.length, checks, lostBy };
}

function checkJournal(c: Chaos, h: ChaosHome): void {
  const ended = h.db
    .prepare(
      `SELECT t.name AS name, r.n AS n, r.ended_at AS ended,
        (SELECT count(*) FROM events e WHERE e.run_id = r.id AND e.type = 'exited') AS exited
       FROM runs r JOIN tasks t ON t.id = r.task_id ORDER BY t.name, r.n`,
    )
    .all() as { name: string; n: number; ended: number | null; exited: number }[];
  for (const r of ended) {
    const want = r.ended === null ? 0 : 1;
    if (r.exited !== want) c.fail(`${r.name} run ${r.n}: ${r.exited} 'exited' entries, want ${want}`);
  }
  const runs = h.db
    .prepare(
      'SELECT t.name AS name, r.n AS n, r.started_at AS started, r.ended_at AS ended FROM runs r JOIN tasks t ON t.id = r.task_id ORDER BY t.name, r.n',
    )
    .all() as { name: string; n: number; started: number; ended: number | null }[];
  for (let i = 1; i < runs.length; i++) {
    const prev = runs[i - 1]!;
    const run = runs[i]!;
    if (prev.name !== run.name) continue;
    if (run.n !== prev.n + 1) c.fail(`${run.name}: run ${run.n} follows run ${prev.n}`);
    // One new run per death: each run begins only after the one before it has ended.
    if (prev.ended === null || run.started < prev.ended)
      c.fail(`${run.name}: run ${run.n} started while run ${prev.n} had not ended`);
  }
}

async function checkEnd(c: Chaos, h: ChaosHome): Promise<void> {
  const v = await c.observe();
  const names = new Set(c.allNames());
  for (const name of names) {
    if (Chaos.up(v, name) === null)
      c.fail(`${name} should run but has no live pane carrying its open run at the end`);
  }
  for (const pane of v.panes ?? []) {
    if (pane.session !== WATCHDOG && !names.has(pane.session)) c.fail(`pane ${pane.session} has no task`);
  }
  const states = h.db.prepare('SELECT id, name, state, reason FROM tasks').all() as {
    id: number;
    name: string;
    state: string;
    reason: string | null;
  }[];
  for (const t of states) {
    if (t.state === 'running') continue;
    const last = h.db
      .prepare('SELECT type, data, at FROM events WHERE task_id = ? ORDER BY id DESC LIMIT 4')
      .all(t.id) as { type: string; data: string; at: number }[];
    const journal = last
      .reverse()
      .map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${e.type} ${e.data}`)
      .join('; ');
    c.fail(
      `${t.name} is ${t.state} (${t.reason ?? 'no reason'}) at the end, not running; its journal ends: ${journal}`,
    );
  }
  const integrity = (h.db.prepare('PRAGMA integrity_check').get() as { integrity_check: string })
    .integrity_check;
  if (integrity !== 'ok') c.fail(`store integrity_check: ${integrity}`);
}

interface Invocation {
  kind: string;
  sessionId: string | null;
  requestedSessionId: string | null;
  resumed: boolean;
}

function checkAgent(c: Chaos, h: ChaosHome): { runs: number; sameSession: boolean } {
  const file = join(h.dir, 'fake-agent', 'invocations.jsonl');
  // The fake agent's own record of its runs: a line it appended while the disk-full fault held
  // can be cut and run into the next one. Such a line is the fixture's, not holdfast's: it is left
  // out, and the session check holds over every record that was written whole.
  const calls = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Invocation];
      } catch {
        return [];
      }
    })
    .filter((i) => i.kind === 'run');
  const first = calls[0]?.sessionId ?? null;
  let same = first !== null;
  calls.slice(1).forEach((call, i) => {
    if (call.requestedSessionId !== first || !call.resumed || call.sessionId !== first) {
      same = false;
      c.fail(
        `agent run ${i + 2} was on session ${call.sessionId} (asked ${call.requestedSessionId}), not ${first}`,
      );
    }
  });
  const task = h.db.prepare('SELECT session_id FROM tasks WHERE name = ?').get(AGENT) as
    | { session_id: string | null }
    | undefined;
  if (task?.session_id !== first) c.fail(`the agent task's session is ${task?.session_id}, not ${first}`);
  if (calls.length === 0) c.fail('the fake agent never ran');
  return { runs: calls.length, sameSession: same };
}

interface TuiInvocation extends TuiLaunch {
  argv: string[];
}

/** The TUI's runs (its invocations.jsonl) against its conversation's transcript (tui.ts). */
function checkTui(c: Chaos, h: ChaosHome): { runs: number; sameSession: boolean } {
  const calls = readJsonl<TuiInvocation>(join(c.tuiState(), 'invocations.jsonl'));
  const first = calls[0]?.sessionId ?? null;
  const line = readJsonl<{ timestamp: string }>(tuiTranscript(c))[0];
  const problems = checkSessions(calls, line ? Date.parse(line.timestamp) : null);
  for (const p of problems) c.fail(`tui ${p}`);
  const task = h.db.prepare('SELECT session_id FROM tasks WHERE name = ?').get(TUI) as
    | { session_id: string | null }
    | undefined;
  if (task?.session_id !== first) c.fail(`the tui task's session is ${task?.session_id}, not ${first}`);
  return { runs: calls.length, sameSession: problems.length === 0 };
}

/** The TUI's conversation: its first run's session (every run is on it: checkTui), as the fake writes it. */
function tuiTranscript(c: Chaos): string {
  const first = readJsonl<TuiInvocation>(join(c.tuiState(), 'invocations.jsonl'))[0]?.sessionId ?? null;
  return join(c.tuiUser(), '.claude', 'projects', c.tuiWork().replaceAll('/', '-'), `${first}.jsonl`);
}

/** The user prompts the TUI's conversation kept, in order: what a resumed session has. */
function keptPrompts(c: Chaos): { prompt: string; at: number }[] {
  return readJsonl<{ timestamp: string }>(tuiTranscript(c)).flatMap((e) => {
    const prompt = userPromptOf(JSON.stringify(e));
    return prompt === null ? [] : [{ prompt, at: Date.parse(e.timestamp) }];
  });
}

function readJsonl<T>(file: string): T[] {
  return (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** Every accepted input settled once, kept by the TUI's conversation at most once (never twice). */
function checkSent(
  c: Chaos,
  h: ChaosHome,
): InputCheck & { refused: number; refusedUnexcused: number; requeued: number } {
  const rows = c.sent.map((s) => {
    const row = h.db.prepare('SELECT state, reason FROM inputs WHERE id = ?').get(s.id) as
      | { state: string; reason: string | null }
      | undefined;
    return { id: s.id, text: s.text, state: row?.state ?? 'missing', reason: row?.reason ?? null };
  });
  const got = readJsonl<{ prompt: string; pid: number; at: number }>(join(c.tuiState(), 'inputs.jsonl'));
  const kept = keptPrompts(c);
  const submits = readJsonl<{ prompt: string; pid: number; at: number }>(join(c.tuiState(), 'submits.jsonl'));
  const check = checkInputs(
    rows,
    kept.map((k) => k.prompt),
    got.map((r) => r.prompt),
  );
  const requeued = (
    h.db.prepare("SELECT count(*) AS n FROM events WHERE type = 'input-requeued'").get() as { n: number }
  ).n;
  const text = new Map(rows.map((r) => [r.id, r.text]));
  for (const t of check.twice)
    c.fail(`input ${t.id} (${text.get(t.id)}) is in the agent's conversation ${t.times} times`);
  for (const l of check.lost) c.fail(`input ${l.id} (${text.get(l.id)}) lost: ${l.why}`);
  for (const o of check.open) c.fail(`input ${o.id} (${text.get(o.id)}) is still ${o.state} at the end`);
  for (const f of check.failedReceived)
    c.fail(`input ${f.id} (${text.get(f.id)}) is in the agent's conversation but is failed: ${f.reason}`);
  const refused = c.sendRefused.filter((r) => !refusalExcused(r.stderr, r.span, c.diskFull));
  const clock = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 23) : 'end');
  const windows = c.diskFull.map(([from, to]) => `${clock(from)}–${clock(to)}`).join(', ') || 'none';
  for (const r of refused)
    c.fail(
      `holdfast send refused ${r.text} (${clock(r.span[0])}–${clock(r.span[1])}; disk full ${windows}): ${r.stderr}`,
    );
  // What happened to each input that was not simply confirmed, for whoever reads a failure.
  const lostIds = new Set([...check.lost, ...check.askedNotKept, ...check.twice].map((l) => l.id));
  for (const r of rows.filter((r) => r.state !== 'confirmed' || lostIds.has(r.id))) {
    const journal = (
      h.db
        .prepare(
          "SELECT type, data, at FROM events WHERE type LIKE 'input-%' AND json_extract(data, '$.input') = ? ORDER BY id",
        )
        .all(r.id) as { type: string; data: string; at: number }[]
    )
      .map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${e.type}`)
      .join(', ');
    const times = (at: number) => new Date(at).toISOString().slice(11, 23);
    const receipts = got
      .filter((g) => g.prompt.split('\n').includes(r.text))
      .map((g) => `asked of the model by pid ${g.pid} at ${times(g.at)}`);
    // Submitted (its UserPromptSubmit hooks started) but never asked: the TUI died in its hooks.
    const submitted = submits
      .filter((g) => g.prompt.split('\n').includes(r.text))
      .map((g) => `submitted to pid ${g.pid} at ${times(g.at)}`);
    const keeps = kept
      .filter((k) => k.prompt.split('\n').includes(r.text))
      .map((k) => `kept at ${times(k.at)}`);
    log(
      `input ${r.id} (${r.text}) ${r.state}${r.reason ? `: ${r.reason}` : ''}; ${journal}; ${[...submitted, ...receipts, ...keeps].join(', ') || 'never submitted'}${keeps.length ? '' : ', never kept'}`,
    );
  }
  if (check.failedReceived.length + check.lost.length + check.twice.length > 0) {
    const at = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(11, 23));
    const runs = h.db
      .prepare(
        'SELECT r.n AS n, r.pid AS pid, r.started_at AS started, r.ended_at AS ended, r.end_reason AS reason FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = ? ORDER BY r.n',
      )
      .all(TUI) as {
      n: number;
      pid: number | null;
      started: number;
      ended: number | null;
      reason: string | null;
    }[];
    for (const r of runs)
      log(`tui run ${r.n}: pid ${r.pid} ${at(r.started)} → ${at(r.ended)} ${r.reason ?? ''}`);
    for (const i of readJsonl<{ pid: number; at: number }>(join(c.tuiState(), 'invocations.jsonl')))
      log(`tui fake started: pid ${i.pid} at ${at(i.at)}`);
  }
  return { ...check, refused: c.sendRefused.length, refusedUnexcused: refused.length, requeued };
}

function table(
  c: Chaos,
  report: Report,
  agent: { runs: number; sameSession: boolean },
  tui: { runs: number; sameSession: boolean },
  inputs: InputCheck & { refused: number; refusedUnexcused: number; requeued: number },
  seconds: number,
): string {
  const rows: [string, string][] = [];
  const byKind = new Map<Kind, Fault[]>();
  for (const f of c.faults) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  const rec = (fs: Fault[]) => {
    const s = summarize(fs.filter((f) => f.recoveredAt !== null).map((f) => f.recoveredAt! - f.endAt!));
    const never = fs.filter((f) => f.recoveredAt === null).length;
    return s
      ? `${(s.median / 1000).toFixed(2)} / ${(s.p99 / 1000).toFixed(2)} s${never ? ` (${never} not seen)` : ''}`
      : 'n/a';
  };
  rows.push(['seed', String(c.args.seed)]);
  rows.push([
    'faults',
    `${c.faults.length} in ${seconds.toFixed(0)} s over ${c.args.tasks} tasks + 2 agents`,
  ]);
  for (const [kind] of WEIGHTS) {
    const fs = byKind.get(kind) ?? [];
    const skipped = kind === 'disk full' && !c.h.tmpfs ? ' (n/a: needs root and tmpfs)' : '';
    rows.push([`  ${kind}`, `${fs.length}${skipped}; recovered p50 / p99 ${rec(fs)}`]);
  }
  rows.push(['time to recover p50 / p99 (all)', rec(c.faults)]);
  rows.push(['runs', String(report.runs)]);
  const sum = (f: (r: RunCheck) => number) => report.checks.reduce((a, r) => a + f(r), 0);
  rows.push(['lines written / captured', `${sum((r) => r.written)} / ${sum((r) => r.captured)}`]);
  rows.push(['bytes written / captured', `${sum((r) => r.writtenBytes)} / ${sum((r) => r.capturedBytes)}`]);
  const why: [LostWhy, string][] = [
    ['in-flight-at-server-death', 'lost: in flight when the tmux server died (allowed)'],
    ['truncated-by-fault', 'lost: destroyed by the log truncation fault (allowed)'],
    ['disk-full', 'lost: printed while the disk was full (allowed)'],
    ['at-run-end', "lost: a run's last lines (FAIL)"],
    ['after-disk-full', 'lost: capture not resumed after the disk was full (FAIL)'],
    ['unexplained', 'lost: other (FAIL)'],
  ];
  for (const [k, label] of why) rows.push([label, String(report.lostBy.get(k) ?? 0)]);
  rows.push([
    'duplicated / out of order (FAIL)',
    `${sum((r) => r.duplicated.length)} / ${sum((r) => r.outOfOrder.length)}`,
  ]);
  rows.push([
    'samples: two live runs of a task / two lease holders',
    `${c.twoRunsSeen} / ${c.twoHoldersSeen} in ${c.samples} samples`,
  ]);
  rows.push([
    'agent runs, all on their own session id',
    `${agent.runs}, ${agent.sameSession ? 'yes' : 'NO'}`,
  ]);
  rows.push(['tui runs, all on their own session id', `${tui.runs}, ${tui.sameSession ? 'yes' : 'NO'}`]);
  const killed = [...c.killedIn].map(([state, n]) => `${n} ${state}`).join(', ');
  rows.push(['  mid-input kills by the input state', killed || 'none']);
  rows.push([
    'inputs sent / confirmed / kept twice / confirmed but not kept (FAIL)',
    `${inputs.sent} / ${inputs.confirmed} / ${inputs.twice.length} / ${inputs.lost.length}`,
  ]);
  rows.push([
    '  requeued: the TUI died before its conversation kept it (allowed)',
    `${inputs.requeued}; inputs a run's model was asked but its conversation did not keep: ${inputs.askedNotKept.length}`,
  ]);
  const reasons = new Map<string, number>();
  for (const f of inputs.failedUnreceived) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1);
  rows.push([
    '  failed, never kept (allowed)',
    `${inputs.failedUnreceived.length}${[...reasons].map(([r, n]) => `; ${n}: ${r}`).join('')}`,
  ]);
  rows.push(['  send refused: disk full (allowed)', String(inputs.refused - inputs.refusedUnexcused)]);
  rows.push([
    '  failed but kept / still open / send refused otherwise (FAIL)',
    `${inputs.failedReceived.length} / ${inputs.open.length} / ${inputs.refusedUnexcused}`,
  ]);
  rows.push(['result', c.failures.length === 0 ? 'PASS' : `FAIL (${c.failures.length} checks)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `| ${'check'.padEnd(width)} | value |`,
    `|${'-'.repeat(width + 2)}|-------|`,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`),
  ].join('\n');
}

function settled(c: Chaos, id: number): boolean {
  try {
    const state = c.inputRow(id)?.state;
    return state === 'confirmed' || state === 'failed';
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  process.stdout.write(
    `chaos: seed ${args.seed} (replay: npm run chaos -- --faults ${args.faults} --tasks ${args.tasks} --seed ${args.seed})\n`,
  );
  startCleanupGuards();
  const h = new ChaosHome();
  const c = new Chaos(h, args);
  const t0 = nowMs();
  try {
    log(`home ${h.dir}${h.tmpfs ? ' (tmpfs)' : ''}; starting ${args.tasks} tasks and an agent`);
    await c.setup();
    const sampler = c.sampler();
    let sender: Promise<void> | null = null;
    if (!(await c.waitFor('every task running after setup', (v) => Chaos.allUp(v, c.allNames()), 60_000)))
      throw new Error(c.failures.join('\n'));
    sender = c.sender();
    let injected = 0;
    let attempts = 0;
    let missed = false;
    while (injected < args.faults && attempts < args.faults * 50) {
      attempts++;
      // After a miss (nothing to inject it into, e.g. a task that is down), another pick at once.
      await sleep(missed ? 20 : 150 + c.random() * 500);
      const kind = c.pickKind();
      missed = true;
      try {
        if (await c.inject(kind)) {
          missed = false;
          injected++;
          if (injected % 50 === 0) log(`${injected} faults, ${Math.round((nowMs() - t0) / 1000)} s`);
        }
      } catch (error) {
        log(`could not inject ${kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    c.stopSending();
    await sender;
    c.liftAll();
    log('faults done; waiting for everything to be back');
    await c.waitFor(
      'every task running again after the faults',
      (v) => Chaos.allUp(v, c.allNames()),
      120_000,
    );
    await c.waitFor('every fault recovered', () => c.faults.every((f) => f.recoveredAt !== null), 30_000);
    // A delivery ends confirmed or failed within ~15 s of its run being up (10 s to confirm).
    await c.waitFor('every input confirmed or failed', () => c.sent.every((s) => settled(c, s.id)), 60_000);
    c.stop();
    await sampler;
    // Each live run's side file first, its log later: a line printed meanwhile is in neither check.
    const sides = new Map(c.names.map((n) => [n, readFileSync(c.sideFile(n), 'utf8')]));
    await sleep(1500);
    // The end state first: a task that ended for good explains the line losses listed after it.
    await checkEnd(c, h);
    checkJournal(c, h);
    const agent = checkAgent(c, h);
    const tui = checkTui(c, h);
    const inputs = checkSent(c, h);
    const report = checkLines(c, h, sides);
    process.stdout.write(`${table(c, report, agent, tui, inputs, (nowMs() - t0) / 1000)}\n`);
  } catch (error) {
    c.fail(
      `the suite itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    c.stop();
    c.liftAll();
    for (const db of c.lockHolders) if (db.open) db.close();
    if (process.env.CHAOS_KEEP) execFileSync('cp', ['-a', h.dir, h.tuiDir, process.env.CHAOS_KEEP]);
    h.dispose();
    cleanupAll();
  }
  if (c.failures.length > 0) {
    process.stdout.write(
      `chaos: FAIL with seed ${args.seed}:\n${c.failures.map((f) => `  - ${f}`).join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write(`chaos: PASS (seed ${args.seed})\n`);
  return 0;
}

process.exitCode = await main();
