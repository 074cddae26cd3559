import type Database from 'better-sqlite3';
import * as z from 'zod';

export { parseRow } from './parse-row.js';

/** The connection every repository is given (here, not in db.ts, which imports the repositories). */
export type Db = Database.Database;

/** A TEXT column holding JSON: parsed, then checked against `schema`. */
export function json<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `not JSON (${error instanceof Error ? error.message : String(error)})`,
        });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

export const int = z.number().int();
export const intOrNull = int.nullable();
export const textOrNull = z.string().nullable();
/** SQLite has no boolean: 0 or 1. */
export const flag = z.union([z.literal(0), z.literal(1)]).transform((v) => v === 1);
/** A JSON object whose keys belong to whoever wrote it. */
export const jsonObject = z.record(z.string(), z.unknown());

/**
 * z.enum over every member of the union `T`: leaving one out, or naming one that is not in it,
 * fails to compile, so the stored values and the type cannot drift apart.
 */
export function enumOf<T extends string>() {
  return <const V extends readonly [T, ...T[]]>(
    values: [Exclude<T, V[number]>] extends [never] ? V : never,
  ) => z.enum(values as V);
}
