/**
 * Ids of tasks and runs are never reused (AUTOINCREMENT): a run id tags its tmux pane and a task id
 * keys the journal, so a recycled id could act on a stranger's pane or history.
 *
 * Numbered schema steps: entry i brings `PRAGMA user_version` from i to i + 1. Never edit a released step. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    desired TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    restarts INTEGER NOT NULL DEFAULT 0,
    next_start_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    current_run_id INTEGER,
    supervision TEXT NOT NULL,
    session_id TEXT,
    limit_resets_at INTEGER,
    stop_requested_at INTEGER,
    stop_timeout_ms INTEGER,
    stop_as TEXT,
    next_run TEXT,
    info TEXT NOT NULL DEFAULT '{}'
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    cause TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    exit_code INTEGER,
    signal TEXT,
    end_reason TEXT,
    log_path TEXT NOT NULL,
    pid INTEGER,
    starter_pid INTEGER,
    log_offset INTEGER NOT NULL DEFAULT 0,
    last_output_at INTEGER,
    bytes INTEGER NOT NULL DEFAULT 0,
    lines INTEGER NOT NULL DEFAULT 0,
    session_id TEXT,
    prompt TEXT,
    fresh INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    UNIQUE (task_id, n)
  );
  CREATE INDEX runs_open ON runs (ended_at) WHERE ended_at IS NULL;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    task_id INTEGER,
    task_name TEXT,
    run_id INTEGER,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX events_task ON events (task_id, id);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    proc_start TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE missions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    agent TEXT NOT NULL,
    cwd TEXT NOT NULL,
    settings TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    phase TEXT NOT NULL DEFAULT 'idle',
    active INTEGER NOT NULL DEFAULT 0,
    gate_run INTEGER,
    sessions INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE mission_milestones (
    mission_id INTEGER NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    status TEXT NOT NULL,
    base_commit TEXT,
    started_at INTEGER,
    done_at INTEGER,
    done_by TEXT,
    PRIMARY KEY (mission_id, idx)
  );
  CREATE TABLE mission_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id INTEGER NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    milestone INTEGER NOT NULL,
    first_run INTEGER NOT NULL,
    fresh INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    ended_how TEXT,
    gate_run INTEGER,
    gate_exit INTEGER,
    cost_usd REAL,
    UNIQUE (mission_id, n)
  );
  `,
  `
  ALTER TABLE runs ADD COLUMN budgeted INTEGER NOT NULL DEFAULT 0;
  `,
  // What the user asked for, waiting for the supervisor's next decision about the task (deleted
  // once carried out: the journal keeps the record), and the decider's own per-run bookkeeping.
  `
  CREATE TABLE intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX intents_task ON intents (task_id, id);
  ALTER TABLE tasks ADD COLUMN stop_stage INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN stalled_at INTEGER;
  ALTER TABLE tasks ADD COLUMN checkpoint_asked_at INTEGER;
  `,
  // The pane's process is the launcher, which waits for the task: the task's own pid, as the
  // launcher reported it, is the one shown and the one a user signals.
  `
  ALTER TABLE runs ADD COLUMN task_pid INTEGER;
  `,
  // An interactive agent's state (core/interactive.ts TuiState: activity, question, the offset of
  // its signals.jsonl consumed), one JSON column written by the decision that read the signals.
  `
  ALTER TABLE tasks ADD COLUMN tui TEXT;
  `,
  // Input typed into an agent (DESIGN invariant 8): a row before anything is sent, its state moved
  // along as delivery goes, so a deliverer killed at any point is followed by one that knows what
  // may already be in the agent's composer. Kept once done: the journal refers to its id.
  `
  CREATE TABLE inputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    now INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    deferred TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    run_id INTEGER,
    signals_offset INTEGER,
    buffer TEXT,
    sending_at INTEGER,
    sent_at INTEGER,
    enters INTEGER NOT NULL DEFAULT 0,
    confirmed_at INTEGER,
    reason TEXT,
    owner_pid INTEGER,
    owner_start TEXT
  );
  CREATE INDEX inputs_open ON inputs (task_id, id) WHERE state IN ('queued', 'sending', 'sent');
  `,
  // Notifications (notify/): each written here in the transaction of the change that causes it,
  // once per key (task, run, event, episode: core/notifications.ts), then sent by the daemon's
  // notifier off the supervision path. `sinks`: the task's own list (JSON) at enqueue, NULL = the
  // config's global sinks, read when sending. `deliveries`: per sink label, what each attempt did.
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    task_id INTEGER,
    task_name TEXT NOT NULL,
    run_id INTEGER,
    sinks TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sending_at INTEGER,
    owner_pid INTEGER,
    owner_start TEXT,
    sent_at INTEGER,
    error TEXT,
    deliveries TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
  CREATE INDEX outbox_task ON outbox (task_id, id);
  `,
  // When a run's log bytes were captured (store/log-times.ts), for `log --timestamps`: one row per
  // tailer read that found the log grown. Deleted with the run's log files by retention.
  `
  CREATE TABLE log_times (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    offset INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (run_id, offset)
  ) WITHOUT ROWID;
  `,
  // An input claude's TUI took (`submitted`) is delivered once its transcript keeps it
  // (core/input.ts settleSubmitted): the transcript its hook named and the size it had then, and
  // how often a TUI that died before keeping it sent it back to the queue.
  `
  ALTER TABLE inputs ADD COLUMN submitted_at INTEGER;
  ALTER TABLE inputs ADD COLUMN transcript TEXT;
  ALTER TABLE inputs ADD COLUMN transcript_offset INTEGER;
  ALTER TABLE inputs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;
  DROP INDEX inputs_open;
  CREATE INDEX inputs_open ON inputs (task_id, id) WHERE state IN ('queued', 'sending', 'sent', 'submitted');
  `,
];
