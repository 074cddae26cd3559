import { immediate, openConnection, type StoreOptions } from './connection.js';
import { EventJournal } from './events.js';
import { InputRepo } from './inputs.js';
import { IntentRepo } from './intents.js';
import { LeaseRepo } from './lease.js';
import { LogTimesRepo } from './log-times.js';
import { MetaRepo } from './meta.js';
import { MissionRepo } from './missions.js';
import { OutboxRepo } from './outbox.js';
import type { Db } from './rows.js';
import { RunRepo } from './runs.js';
import { TaskRepo } from './tasks.js';

export { isBusyError, type StoreOptions } from './connection.js';
export type { Db } from './rows.js';

export interface Store {
  db: Db;
  path: string;
  tasks: TaskRepo;
  runs: RunRepo;
  events: EventJournal;
  intents: IntentRepo;
  inputs: InputRepo;
  meta: MetaRepo;
  logTimes: LogTimesRepo;
  lease: LeaseRepo;
  missions: MissionRepo;
  outbox: OutboxRepo;
  /** Runs `fn` in one IMMEDIATE transaction: the write lock is taken up front, so read-then-write is atomic. */
  tx<T>(fn: () => T): T;
  close(): void;
}

export function openStore(path: string, options: StoreOptions = {}): Store {
  return storeOn(openConnection(path, options), path);
}

/** The repositories on a connection openConnection made. */
export function storeOn(db: Db, path: string): Store {
  return {
    db,
    path,
    tasks: new TaskRepo(db),
    runs: new RunRepo(db),
    events: new EventJournal(db),
    intents: new IntentRepo(db),
    inputs: new InputRepo(db),
    meta: new MetaRepo(db),
    logTimes: new LogTimesRepo(db),
    lease: new LeaseRepo(db),
    missions: new MissionRepo(db),
    outbox: new OutboxRepo(db),
    tx: (fn) => immediate(db, fn),
    close: () => db.close(),
  };
}
