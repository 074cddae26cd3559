import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Resource, ROOT, teardown } from './teardown.js';

/**
 * Everything the bench starts (holdfast homes, pm2 homes, scratch dirs) is tracked here and undone on
 * success, on failure and on Ctrl-C. The list is also kept in a file watched by a detached guardian
 * process, which undoes whatever is left if the bench itself is killed (tsx SIGKILLs a child that
 * does not answer a relayed Ctrl-C within 60 ms, e.g. while the machine is busy).
 */
const tracked = new Map<number, Resource>();
let nextId = 1;
const registry = `/tmp/hfb-guard-${process.pid}.json`;

const save = () => writeFileSync(registry, JSON.stringify([...tracked.values()]));

/** Tracks a resource; the returned function tears it down (once) and forgets it. */
export function track(resource: Resource): () => void {
  const id = nextId++;
  tracked.set(id, resource);
  save();
  return () => {
    if (!tracked.delete(id)) return;
    try {
      teardown(resource);
    } finally {
      save();
    }
  };
}

export function cleanupAll(): void {
  for (const [id, resource] of [...tracked].reverse()) {
    tracked.delete(id);
    try {
      teardown(resource);
    } catch (error) {
      process.stderr.write(`bench: cleanup of ${resource.kind} ${resource.path} failed: ${String(error)}\n`);
    }
  }
  save();
}

/** Starts the guardian (in its own session, so Ctrl-C does not reach it) and the signal handlers. */
export function startCleanupGuards(): () => void {
  save();
  const guardian = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'guardian.ts'), registry, String(process.pid)],
    { cwd: ROOT, detached: true, stdio: 'ignore' },
  );
  guardian.unref();
  let cleaning = false;
  // Repeated signals (tsx relays each one again) must not cut the cleanup short.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (cleaning) return;
      cleaning = true;
      process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
      cleanupAll();
      rmSync(registry, { force: true });
      process.exit(130);
    });
  }
  return () => {
    cleanupAll();
    rmSync(registry, { force: true });
  };
}
