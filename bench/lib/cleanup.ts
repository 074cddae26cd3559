/**
 * Everything the bench starts (holdfast homes, pm2 homes, scratch dirs) registers its teardown here,
 * so it is undone on success, on failure and on Ctrl-C. Teardowns are synchronous so that a signal
 * handler can run them to the end.
 */
const teardowns = new Map<number, { what: string; fn: () => void }>();
let nextId = 1;

export function onCleanup(what: string, fn: () => void): () => void {
  const id = nextId++;
  teardowns.set(id, { what, fn });
  return () => {
    const entry = teardowns.get(id);
    if (!entry) return;
    teardowns.delete(id);
    entry.fn();
  };
}

export function cleanupAll(): void {
  for (const [id, { what, fn }] of [...teardowns].reverse()) {
    teardowns.delete(id);
    try {
      fn();
    } catch (error) {
      process.stderr.write(`bench: cleanup of ${what} failed: ${String(error)}\n`);
    }
  }
}

export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}
