/**
 * Queues an input (DESIGN invariant 8): the row and its `input-queued` entry, inside the caller's
 * transaction, so the input commits with what asked for it (a task and its first prompt, a
 * decision and its continue) and a crash neither loses nor doubles it.
 */
import { HoldfastError } from '../core/errors.js';
import { event } from '../core/events.js';
import type { InputRecord, InputSource } from '../core/input.js';
import { isInteractive, type TaskRecord } from '../core/task.js';
import type { Store } from './db.js';

export interface QueueOptions {
  /** Do not wait for a busy agent (`send --now`). */
  now?: boolean;
}

/**
 * Records an input inside the caller's transaction (with `input-queued`): `createTask` queues an
 * interactive run's first prompt this way, so the task and its prompt commit together.
 */
export function queueInputIn(
  store: Store,
  task: TaskRecord,
  text: string,
  source: InputSource,
  at: number,
  options: QueueOptions = {},
): InputRecord {
  if (!task.spec.agent) {
    throw new HoldfastError(
      'EUSAGE',
      `${task.name} is not an agent task: there is nothing to send input to`,
      {
        hint: 'send works with tasks started with --agent',
      },
    );
  }
  if (text.trim() === '') throw new HoldfastError('EUSAGE', 'the input is empty');
  const mode = isInteractive(task) ? 'pane' : 'resume';
  const input = store.inputs.add({ taskId: task.id, text, source, mode, now: Boolean(options.now), at });
  store.events.record(
    { taskId: task.id, taskName: task.name, at },
    event('input-queued', {
      input: input.id,
      source,
      mode,
      chars: text.length,
      ...(options.now ? { now: true as const } : {}),
    }),
  );
  return input;
}
