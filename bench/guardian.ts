/**
 * Started detached by the bench: waits for the bench process to end, then tears down whatever it
 * left in its registry file (a bench that ends normally leaves nothing and removes the file).
 *
 * usage: node --import tsx bench/guardian.ts REGISTRY_FILE BENCH_PID
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAlive } from './lib/proc.js';
import { type Resource, teardown } from './lib/teardown.js';

const [registry, pidText] = process.argv.slice(2);
const benchPid = Number(pidText);
for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});

const timer = setInterval(() => {
  if (!registry || !existsSync(registry)) return done();
  if (isAlive(benchPid)) return;
  let left: Resource[] = [];
  try {
    left = JSON.parse(readFileSync(registry, 'utf8')) as Resource[];
  } catch {
    // half-written: the bench died while saving; nothing more can be known
  }
  for (const resource of left.reverse()) {
    try {
      teardown(resource);
    } catch {
      // best effort: the next resource still gets its turn
    }
  }
  rmSync(registry, { force: true });
  done();
}, 300);

function done(): void {
  clearInterval(timer);
}
