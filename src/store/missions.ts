import type { Db } from './rows.js';

export type MissionState = 'pending' | 'running' | 'paused' | 'done';
/** Where a running mission stands: between sessions, in a session, or waiting for a gate run. */
export type MissionPhase = 'idle' | 'session' | 'gate';
export type MilestoneStatus = 'pending' | 'active' | 'done';

export interface MissionRecord {
  id: number;
  name: string;
  definition: unknown;
  agent: unknown;
  cwd: string;
  settings: unknown;
  state: MissionState;
  reason: string | null;
  phase: MissionPhase;
  active: number;
  gateRun: number | null;
  sessions: number;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
}

export interface MilestoneRecord {
  idx: number;
  status: MilestoneStatus;
  baseCommit: string | null;
  startedAt: number | null;
  doneAt: number | null;
  doneBy: string | null;
}

export interface SessionRecord {
  id: number;
  n: number;
  milestone: number;
  firstRun: number;
  fresh: boolean;
  startedAt: number;
  endedAt: number | null;
  endedHow: string | null;
  gateRun: number | null;
  gateExit: number | null;
  costUsd: number | null;
}

type Row = Record<string, unknown>;

const toMission = (r: Row): MissionRecord => ({
  id: r.id as number,
  name: r.name as string,
  definition: JSON.parse(r.definition as string),
  agent: JSON.parse(r.agent as string),
  cwd: r.cwd as string,
  settings: JSON.parse(r.settings as string),
  state: r.state as MissionState,
  reason: r.reason as string | null,
  phase: r.phase as MissionPhase,
  active: r.active as number,
  gateRun: r.gate_run as number | null,
  sessions: r.sessions as number,
  createdAt: r.created_at as number,
  startedAt: r.started_at as number | null,
  updatedAt: r.updated_at as number,
});

const COLUMNS = {
  state: 'state',
  reason: 'reason',
  phase: 'phase',
  active: 'active',
  gateRun: 'gate_run',
  sessions: 'sessions',
  startedAt: 'started_at',
} as const;
export type MissionPatch = Partial<Pick<MissionRecord, keyof typeof COLUMNS>>;

export class MissionRepo {
  constructor(private readonly db: Db) {}

  insert(input: {
    name: string;
    definition: unknown;
    agent: unknown;
    cwd: string;
    settings: unknown;
    milestones: number;
    now: number;
  }): MissionRecord {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO missions (name, definition, agent, cwd, settings, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          input.name,
          JSON.stringify(input.definition),
          JSON.stringify(input.agent),
          input.cwd,
          JSON.stringify(input.settings),
          input.now,
          input.now,
        ).lastInsertRowid,
    );
    const add = this.db.prepare('INSERT INTO mission_milestones (mission_id, idx, status) VALUES (?, ?, ?)');
    for (let i = 0; i < input.milestones; i++) add.run(id, i, i === 0 ? 'active' : 'pending');
    return this.byId(id)!;
  }

  byId(id: number): MissionRecord | null {
    const row = this.db.prepare('SELECT * FROM missions WHERE id = ?').get(id) as Row | undefined;
    return row ? toMission(row) : null;
  }

  byName(name: string): MissionRecord | null {
    const row = this.db.prepare('SELECT * FROM missions WHERE name = ?').get(name) as Row | undefined;
    return row ? toMission(row) : null;
  }

  all(): MissionRecord[] {
    return (this.db.prepare('SELECT * FROM missions ORDER BY id').all() as Row[]).map(toMission);
  }

  update(id: number, patch: MissionPatch, now: number): void {
    const keys = Object.keys(patch) as (keyof MissionPatch)[];
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(', ');
    this.db
      .prepare(`UPDATE missions SET ${sets}, updated_at = ? WHERE id = ?`)
      .run(...keys.map((k) => patch[k] ?? null), now, id);
  }

  setSettings(id: number, settings: unknown, now: number): void {
    this.db
      .prepare('UPDATE missions SET settings = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(settings), now, id);
  }

  milestones(missionId: number): MilestoneRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM mission_milestones WHERE mission_id = ? ORDER BY idx')
        .all(missionId) as Row[]
    ).map((r) => ({
      idx: r.idx as number,
      status: r.status as MilestoneStatus,
      baseCommit: r.base_commit as string | null,
      startedAt: r.started_at as number | null,
      doneAt: r.done_at as number | null,
      doneBy: r.done_by as string | null,
    }));
  }

  setMilestone(missionId: number, idx: number, patch: Partial<Omit<MilestoneRecord, 'idx'>>): void {
    const map: Record<string, string> = {
      status: 'status',
      baseCommit: 'base_commit',
      startedAt: 'started_at',
      doneAt: 'done_at',
      doneBy: 'done_by',
    };
    const keys = Object.keys(patch);
    if (keys.length === 0) return;
    this.db
      .prepare(
        `UPDATE mission_milestones SET ${keys.map((k) => `${map[k]} = ?`).join(', ')} WHERE mission_id = ? AND idx = ?`,
      )
      .run(...keys.map((k) => (patch as Record<string, unknown>)[k] ?? null), missionId, idx);
  }

  sessions(missionId: number): SessionRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM mission_sessions WHERE mission_id = ? ORDER BY n')
        .all(missionId) as Row[]
    ).map((r) => ({
      id: r.id as number,
      n: r.n as number,
      milestone: r.milestone as number,
      firstRun: r.first_run as number,
      fresh: r.fresh === 1,
      startedAt: r.started_at as number,
      endedAt: r.ended_at as number | null,
      endedHow: r.ended_how as string | null,
      gateRun: r.gate_run as number | null,
      gateExit: r.gate_exit as number | null,
      costUsd: r.cost_usd as number | null,
    }));
  }

  addSession(
    missionId: number,
    s: { n: number; milestone: number; firstRun: number; fresh: boolean; now: number },
  ): void {
    this.db
      .prepare(
        'INSERT INTO mission_sessions (mission_id, n, milestone, first_run, fresh, started_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(missionId, s.n, s.milestone, s.firstRun, s.fresh ? 1 : 0, s.now);
  }

  endSession(
    missionId: number,
    n: number,
    patch: {
      endedAt: number;
      endedHow: string;
      gateRun?: number | null;
      gateExit?: number | null;
      costUsd?: number | null;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE mission_sessions SET ended_at = coalesce(ended_at, ?), ended_how = ?, gate_run = coalesce(?, gate_run),
           gate_exit = coalesce(?, gate_exit), cost_usd = coalesce(?, cost_usd) WHERE mission_id = ? AND n = ?`,
      )
      .run(
        patch.endedAt,
        patch.endedHow,
        patch.gateRun ?? null,
        patch.gateExit ?? null,
        patch.costUsd ?? null,
        missionId,
        n,
      );
  }
}
