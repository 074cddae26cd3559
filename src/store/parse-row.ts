/**
 * A store row checked against its schema, on zod's core alone: the lease's schema (store/lease.ts)
 * is zod/mini's, so a daemon takes its lease without loading zod's full API (issue 14).
 */
import * as core from 'zod/v4/core';
import { HoldfastError } from '../core/errors.js';

type Row = Record<string, unknown>;

/**
 * A row as read, checked column by column. `whose` names what the row belongs to (`task build (id
 * 3)`), from the raw row: it is only called when the row is bad, so it may query for a name.
 */
export function parseRow<S extends core.$ZodType>(
  schema: S,
  table: string,
  row: unknown,
  whose: (row: Row) => string,
): core.output<S> {
  const result = core.safeParse(schema, row);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const [column, ...inside] = issue.path.map(String);
  const at = inside.length > 0 ? ` at ${inside.join('.')}` : '';
  let owner: string;
  try {
    owner = whose((row ?? {}) as Row);
  } catch {
    owner = 'an unknown owner';
  }
  throw new HoldfastError(
    'ESTORE',
    `the store is corrupt: the ${table} row of ${owner} has a bad ${column ?? 'row'} column${at}: ${issue.message}`,
    {
      hint: 'holdfast left the store as it is: repair that row with sqlite3, or restore a backup of holdfast.db',
    },
  );
}
