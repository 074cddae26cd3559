import { mapLimit } from './exec.js';
import { HoldfastHome } from './holdfast.js';
import { Pm2Home } from './pm2.js';
import { childrenRunning, grandchildrenRunning } from './proc.js';
import { nowMs, poll } from './time.js';

export const SLEEP = '/usr/bin/sleep';

/** N idle `sleep 600` tasks under holdfast and N idle apps under pm2, each in a private home. */
export interface Fleet {
  size: number;
  hf: HoldfastHome;
  pm2: Pm2Home;
  /** Wall time to create them: holdfast with parallel `holdfast run` calls, pm2 from one ecosystem file. */
  createMs: { holdfast: number; holdfastConcurrency: number; holdfastPerCall: number[]; pm2: number };
  dispose(): void;
}

/** `holdfast run` calls in flight at once when making the fleet (and the up scenario's one-by-one row). */
export const HF_CONCURRENCY = 6;

export async function createFleet(size: number, log: (m: string) => void): Promise<Fleet> {
  const hf = new HoldfastHome();
  const pm2 = new Pm2Home();
  try {
    log(`fleet: starting ${size} holdfast tasks (${HF_CONCURRENCY} \`holdfast run\` at a time)`);
    const names = Array.from({ length: size }, (_, i) => `t${String(i).padStart(3, '0')}`);
    let start = nowMs();
    const calls = await mapLimit(names, HF_CONCURRENCY, (name) =>
      hf.cliOk(['run', '--name', name, '--restart', 'always', '--', 'sleep', '600']),
    );
    const hfMs = nowMs() - start;
    await hf.waitForDaemon();
    const server = hf.serverPid();
    await poll(
      `${size} running holdfast tasks`,
      () => {
        const row = hf.db.prepare("SELECT count(*) AS c FROM tasks WHERE state = 'running'").get() as {
          c: number;
        };
        return row.c === size && grandchildrenRunning(server, ['sleep', '600']).length === size
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    log(`fleet: starting ${size} pm2 apps from one ecosystem file`);
    start = nowMs();
    await pm2.start(names.map((name) => ({ name, script: SLEEP, args: ['600'] })));
    const pm2Ms = nowMs() - start;
    await poll(
      `${size} running pm2 apps`,
      () => {
        const god = pm2.godPid();
        return god !== null && childrenRunning(god, [SLEEP, '600']).length === size ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    return {
      size,
      hf,
      pm2,
      createMs: {
        holdfast: hfMs,
        holdfastConcurrency: HF_CONCURRENCY,
        holdfastPerCall: calls.map((c) => Math.round(c.ms)),
        pm2: pm2Ms,
      },
      dispose() {
        pm2.dispose();
        hf.dispose();
      },
    };
  } catch (error) {
    pm2.dispose();
    hf.dispose();
    throw error;
  }
}
