import * as z from 'zod';
import { type Db, parseRow } from './rows.js';

const metaRow = z.object({ key: z.string(), value: z.string() });

export class MetaRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    const row = this.db.prepare('SELECT key, value FROM meta WHERE key = ?').get(key);
    return row ? parseRow(metaRow, 'meta', row, (r) => `key ${String(r.key)}`).value : null;
  }

  set(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }
}
