// A second `holdfast restart` process, as a worker thread: its own store connection and tmux client
// on the same home, running the supervisor's code from src/ through tsx (the build is one bundle,
// with no module of its own to import). Every store call may first pause the thread for a few ms
// (seeded), as a busy machine deschedules a CLI between any two statements: that is what opens the
// windows between a decision and what acts on it.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { restartTask } = await import('../../src/supervisor/control.ts');
const { openRuntime } = await import('../../src/supervisor/runtime.ts');

const { home, seed } = workerData;
let state = seed >>> 0 || 1;
/** mulberry32: small, seeded, good enough to spread pauses. */
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const blocker = new Int32Array(new SharedArrayBuffer(4));
function maybePause(maxMs = 12) {
  if (random() < 0.3) Atomics.wait(blocker, 0, 0, Math.floor(random() * maxMs));
}
function pausing(target) {
  return new Proxy(target, {
    get(obj, prop) {
      const value = obj[prop];
      if (typeof value !== 'function') return value;
      return (...args) => {
        maybePause();
        return value.apply(obj, args);
      };
    },
  });
}

const base = openRuntime(home);
const store = base.store;
const rt = {
  ...base,
  store: {
    ...store,
    tasks: pausing(store.tasks),
    runs: pausing(store.runs),
    events: pausing(store.events),
    tx: (fn) => {
      maybePause();
      const result = store.tx(fn);
      // Right after a commit is where a decision is most exposed to what others do next.
      maybePause(30);
      return result;
    },
  },
};

parentPort.on('message', async (message) => {
  if (message.type === 'close') {
    store.close();
    parentPort.close();
    return;
  }
  const { taskId, delayMs, afterStopping } = message;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Aimed at the window: start once the other restart's decision is in the store.
  const deadline = Date.now() + 5000;
  while (afterStopping && store.tasks.byId(taskId)?.state !== 'stopping' && Date.now() < deadline)
    await sleep(1);
  await sleep(delayMs);
  try {
    await restartTask(rt, taskId, 10_000);
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
