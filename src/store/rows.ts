import type Database from 'better-sqlite3';

/** The connection every repository is given (here, not in db.ts, which imports the repositories). */
export type Db = Database.Database;
