import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { track } from '../lib/cleanup.js';
import { HoldfastHome } from '../lib/holdfast.js';
import { CLK_TCK, cpuTicks } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { minMedMax, summarize } from '../lib/stats.js';
import { nowMs, sleep } from '../lib/time.js';

/** The size of the log once the pty has turned every "\n" into "\r\n". */
interface Source {
  path: string;
  bytes: number;
  loggedBytes: number;
  loggedSha256: string;
}

/** A fixed file of base64 lines (100 characters each), so both sides log the very same bytes. */
function makeSource(dir: string, target: number): Source {
  const path = join(dir, 'source.txt');
  const raw = Math.round((target * 0.75 * 100) / 101);
  execFileSync('bash', ['-c', `head -c ${raw} /dev/urandom | base64 -w 100 > '${path}'`]);
  const data = readFileSync(path);
  let lines = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
  const hash = createHash('sha256');
  hash.update(data.toString('latin1').replaceAll('\n', '\r\n'), 'latin1');
  return { path, bytes: data.length, loggedBytes: data.length + lines, loggedSha256: hash.digest('hex') };
}

const sizeOf = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const sha256 = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;

/**
 * A holdfast run's log is a stream over segments (src/supervisor/log-segments.ts): `run-N.log` holds
 * the first `--log-max` bytes, `run-N.1.log` the next, and so on. 100 MB passes the default limit,
 * so the run's bytes are all of them, in order (the source is small enough that none is dropped).
 */
function segmentsOf(log: string): string[] {
  const paths = [log];
  for (let k = 1; ; k++) {
    const next = log.replace(/\.log$/, `.${k}.log`);
    if (sizeOf(next) === 0) return paths;
    paths.push(next);
  }
}

const DRAIN_QUESTION = Buffer.from('\x1b[5n', 'latin1');

const streamSize = (log: string) => segmentsOf(log).reduce((sum, path) => sum + sizeOf(path), 0);

/**
 * The run's bytes as holdfast's readers see them: launch.pl ends every log with the 4 bytes of its
 * drain question (ESC [ 5 n, libexec/launch.pl), which `log` and the tailer leave out.
 */
function streamOf(log: string): { bytes: number; sha256: string } {
  let data = Buffer.concat(segmentsOf(log).map((path) => readFileSync(path)));
  if (data.subarray(-DRAIN_QUESTION.length).equals(DRAIN_QUESTION))
    data = data.subarray(0, -DRAIN_QUESTION.length);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Waits until `done()` says the producer has ended and the log has reached the expected size; gives
 * up when the log has not grown for 3 s after the producer ended (an incomplete log).
 */
async function waitForLog(
  log: string,
  sizeNow: () => number,
  expected: number,
  ended: (complete: boolean, stalledMs: number) => number | undefined,
): Promise<{ completeAt: number | null; endedAt: number | null }> {
  let completeAt: number | null = null;
  let endedAt: number | null = null;
  let lastSize = -1;
  let lastGrowth = nowMs();
  for (;;) {
    const t = nowMs();
    const size = sizeNow();
    if (size !== lastSize) {
      lastSize = size;
      lastGrowth = t;
    }
    if (completeAt === null && size >= expected) completeAt = t;
    if (endedAt === null) endedAt = ended(completeAt !== null, t - lastGrowth) ?? null;
    if (completeAt !== null && endedAt !== null) return { completeAt, endedAt };
    if (endedAt !== null && t - lastGrowth > 3000) return { completeAt, endedAt };
    if (t - lastGrowth > 60_000) throw new Error(`${log} stopped growing at ${size} of ${expected} bytes`);
    await sleep(completeAt === null ? 5 : 2);
  }
}

interface Capture {
  /** Until the end is recorded (holdfast) / the pane is dead (bare) and the log is complete, from the run start. */
  seconds: number;
  bytes: number;
  complete: boolean;
  sha256Match: boolean;
  tmuxCpuS: number;
  daemonCpuS?: number;
  /** holdfast only: the same, from the `holdfast run` call (CLI start included). */
  secondsWithCli?: number;
}

async function captureHoldfast(hf: HoldfastHome, src: Source, name: string): Promise<Capture> {
  const server = hf.serverPid();
  const daemon = hf.daemonPid()!;
  const tmux0 = cpuTicks(server)!;
  const daemon0 = cpuTicks(daemon)!;
  const log = join(hf.dir, 'tasks', name, 'run-1.log');
  const t0 = nowMs();
  const cli = hf.cliOk(['run', '--name', name, '--restart', 'no', '--', 'cat', src.path]);
  const exited = hf.db.prepare(
    "SELECT e.at FROM events e JOIN tasks t ON t.id = e.task_id WHERE t.name = ? AND e.type = 'exited'",
  );
  const waited = waitForLog(
    log,
    () => streamSize(log),
    src.loggedBytes,
    () => {
      const row = exited.get(name) as { at: number } | undefined;
      return row ? nowMs() : undefined;
    },
  );
  await cli;
  const { completeAt, endedAt } = await waited;
  const startedAt = (
    hf.db.prepare('SELECT started_at FROM runs WHERE log_path = ?').get(log) as { started_at: number }
  ).started_at;
  const done = Math.max(completeAt ?? endedAt!, endedAt!);
  const stream = streamOf(log);
  return {
    seconds: (done - startedAt) / 1000,
    secondsWithCli: (done - t0) / 1000,
    bytes: stream.bytes,
    complete: stream.bytes === src.loggedBytes,
    sha256Match: stream.sha256 === src.loggedSha256,
    tmuxCpuS: (cpuTicks(server)! - tmux0) / CLK_TCK,
    daemonCpuS: (cpuTicks(daemon)! - daemon0) / CLK_TCK,
  };
}

/** The same command in a session made by hand on the same server, logged by a bare `pipe-pane`. */
async function captureBare(hf: HoldfastHome, src: Source, dir: string, name: string): Promise<Capture> {
  const server = hf.serverPid();
  const tmux0 = cpuTicks(server)!;
  const log = join(dir, `${name}.log`);
  const t0 = nowMs();
  // Chained in one invocation, as holdfast does, so the first bytes are not missed; same size and pipe command.
  hf.tmux([
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '200',
    '-y',
    '50',
    '--',
    'cat',
    src.path,
    ';',
    'pipe-pane',
    '-o',
    '-t',
    `=${name}:`,
    `exec cat >> '${log}'`,
  ]);
  const dead = () => hf.tmux(['display-message', '-p', '-t', `=${name}:`, '#{pane_dead}']).trim() === '1';
  // A tmux client costs the server work: ask it only once the log is complete (or has stalled), so
  // that the bare side is not slowed by the bench's own probes.
  const { completeAt, endedAt } = await waitForLog(
    log,
    () => sizeOf(log),
    src.loggedBytes,
    (complete, stalledMs) => ((complete || stalledMs > 1000) && dead() ? nowMs() : undefined),
  );
  const done = Math.max(completeAt ?? endedAt!, endedAt!);
  const bytes = sizeOf(log);
  const result = {
    seconds: (done - t0) / 1000,
    bytes,
    complete: bytes === src.loggedBytes,
    sha256Match: sha256(log) === src.loggedSha256,
    tmuxCpuS: (cpuTicks(server)! - tmux0) / CLK_TCK,
  };
  hf.tmux(['kill-session', '-t', `=${name}:`]);
  rmSync(log, { force: true });
  return result;
}

async function measure(ctx: BenchContext, targetBytes: number, reps: number) {
  const dir = mkdtempSync('/tmp/hfb-log-');
  const removeDir = track({ kind: 'dir', path: dir });
  const hf = new HoldfastHome();
  try {
    const src = makeSource(dir, targetBytes);
    ctx.log(`log: ${src.bytes} bytes source (${src.loggedBytes} once logged), ${reps} rep(s) each side`);
    // A first task starts the daemon and the server, so no capture pays for them.
    await hf.cliOk(['run', '--name', 'warm', '--restart', 'no', '--', 'true']);
    await hf.waitForDaemon();
    const holdfast: Capture[] = [];
    const bare: Capture[] = [];
    for (let i = 0; i < reps; i++) {
      const order = i % 2 === 0 ? ['bare', 'holdfast'] : ['holdfast', 'bare'];
      for (const side of order) {
        await sleep(500);
        if (side === 'bare') {
          bare.push(await captureBare(hf, src, dir, `bare-${i}`));
        } else {
          holdfast.push(await captureHoldfast(hf, src, `logcap-${i}`));
          await hf.cliOk(['rm', '--force', `logcap-${i}`]);
        }
      }
      ctx.log(
        `log: rep ${i + 1}: holdfast ${holdfast.at(-1)!.seconds.toFixed(2)} s, bare ${bare.at(-1)!.seconds.toFixed(2)} s`,
      );
    }
    return { src, holdfast, bare };
  } finally {
    hf.dispose();
    removeDir();
  }
}

export const logCapture: Scenario = {
  name: 'log',
  title: 'log capture of one fast writer',
  async run(ctx): Promise<ScenarioResult> {
    const target = ctx.quick ? 10_000_000 : 100_000_000;
    const reps = ctx.quick ? 1 : 3;
    const { src, holdfast, bare } = await measure(ctx, target, reps);
    const s = {
      holdfast: summarize(holdfast.map((c) => c.seconds)),
      holdfastWithCli: summarize(holdfast.map((c) => c.secondsWithCli!)),
      bare: summarize(bare.map((c) => c.seconds)),
      ratio: summarize(holdfast.map((c, i) => c.seconds / bare[i]!.seconds)),
    };
    const mb = (src.bytes / 1e6).toFixed(0);
    const ok = (cs: Capture[]) =>
      `${cs.filter((c) => c.complete && c.sha256Match).length}/${cs.length} complete, sha256 equal`;
    const throughput = (x: typeof s.holdfast) =>
      x ? `${(src.loggedBytes / 1e6 / x.median).toFixed(1)} MB/s` : 'n/a';
    const cpu = (cs: Capture[], k: 'tmuxCpuS' | 'daemonCpuS') =>
      minMedMax(summarize(cs.map((c) => c[k] ?? 0)), 's CPU', 2);
    return {
      rows: [
        {
          metric: `${mb} MB through a pane, run start → exit recorded + log complete (min–med–max of ${reps})`,
          holdfast: minMedMax(s.holdfast),
          peer: 'bare pipe-pane, same server',
          peerValue: minMedMax(s.bare),
        },
        {
          metric: 'same, from the `holdfast run` call',
          holdfast: minMedMax(s.holdfastWithCli),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'time ratio holdfast / bare; throughput (median)',
          holdfast: `${minMedMax(s.ratio, '×', 2)}; ${throughput(s.holdfast)}`,
          peer: 'bare',
          peerValue: throughput(s.bare),
        },
        {
          metric:
            'bytes: log sha256 = expected (\\n → \\r\\n; holdfast: all segments, less its 4-byte drain question)',
          holdfast: ok(holdfast),
          peer: 'bare',
          peerValue: ok(bare),
        },
        {
          metric: 'tmux server CPU during the capture',
          holdfast: cpu(holdfast, 'tmuxCpuS'),
          peer: 'bare',
          peerValue: cpu(bare, 'tmuxCpuS'),
        },
        {
          metric: 'holdfast daemon CPU during the capture',
          holdfast: cpu(holdfast, 'daemonCpuS'),
          peer: '',
          peerValue: '',
        },
      ],
      data: {
        sourceBytes: src.bytes,
        loggedBytes: src.loggedBytes,
        expectedSha256: src.loggedSha256,
        reps,
        summary: s,
        holdfast,
        bare,
      },
    };
  },
};
