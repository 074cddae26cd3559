import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { normalizeTaskSpec } from '../../src/cli/spec-options.js';
import { createTask, startTask } from '../../src/supervisor/create.js';
import { openRuntime } from '../../src/supervisor/runtime.js';
import { escalateStop, requestStop } from '../../src/supervisor/stop.js';
import { ROOT, useHome } from '../helpers/home.js';

const home = useHome();

/** Two `holdfast restart` processes: worker threads with their own store connection and tmux client. */
function restarter(dir: string, seed: number) {
  const worker = new Worker(join(ROOT, 'test', 'helpers', 'restart-worker.mjs'), {
    workerData: { home: dir, seed },
  });
  const restart = (taskId: number, delayMs: number, afterStopping = false) =>
    new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      worker.once('error', fail);
      worker.once('message', (result) => {
        worker.off('error', fail);
        resolve(result);
      });
      worker.postMessage({ taskId, delayMs, afterStopping });
    });
  const close = async () => {
    worker.postMessage({ type: 'close' });
    await new Promise((resolve) => worker.once('exit', resolve));
  };
  return { restart, close };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('two restarts of one task at once', () => {
  it('200 times: no decision acts on a run a newer decision started: no run ends as a crash, the task runs', async () => {
    const h = home();
    const seed = Number(process.env.HOLDFAST_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = mulberry32(seed);
    const rt = openRuntime(h.dir);
    const a = restarter(h.dir, seed ^ 0x5a5a5a5a);
    const b = restarter(h.dir, seed ^ 0x3c3c3c3c);
    const spec = normalizeTaskSpec(
      ['sleep', '200'],
      { cwd: h.dir, restart: 'on-failure', maxRestarts: '1', checkpointEvery: '0' },
      { userUmask: 0o022, defaultMode: 'no', defaultStallMs: null },
    );
    const problems: string[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const name = `mr-${i}`;
        const task = await createTask(rt, {
          name,
          nameBase: name,
          spec,
          env: { PATH: process.env.PATH },
        });
        await startTask(rt, task.id);
        // The second restart lands anywhere from together with the first to after its new run started,
        // or (every other time) just after the first one's decision, where the two overlap most.
        const afterFirst = random() < 0.5;
        const delayMs = Math.floor(random() * (afterFirst ? 10 : 40));
        const results = await Promise.all([a.restart(task.id, 0), b.restart(task.id, delayMs, afterFirst)]);
        const after = rt.store.tasks.byId(task.id)!;
        const runs = rt.store.runs.forTask(task.id);
        const journal = rt.store.events.forTask(task.id).map((e) => {
          const data = e.data as { run?: number; cause?: string; reason?: string };
          return [e.type, data.run, data.cause ?? data.reason].filter((x) => x !== undefined).join(' ');
        });
        const wrong: string[] = [];
        for (const r of results) if (!r.ok) wrong.push(`a restart failed: ${r.error}`);
        if (after.state !== 'running') wrong.push(`state ${after.state} (${after.reason})`);
        if (runs.at(-1)?.endedAt !== null) wrong.push('the last run is not live');
        if (runs.slice(1).some((r) => r.cause !== 'restart')) wrong.push('a run not caused by the restarts');
        if (journal.some((e) => /^(failed|backoff|crash-loop-entered|start-failed)/.test(e)))
          wrong.push('a run ended as a crash');
        if (wrong.length > 0)
          problems.push(
            `iteration ${i} (delay ${delayMs} ms): ${wrong.join('; ')}; journal: ${journal.join(' | ')}`,
          );
        requestStop(rt, task.id, { timeoutMs: 2000 });
        await escalateStop(rt, task.id, 2000);
      }
    } finally {
      await a.close();
      await b.close();
      rt.store.close();
    }
    expect(problems, `seed ${seed} (HOLDFAST_TEST_SEED=${seed} repeats it)`).toEqual([]);
  }, 600_000);
});
