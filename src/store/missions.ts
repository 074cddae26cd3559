import * as z from 'zod';
import type { MilestoneStatus, MissionPhase, MissionState } from '../core/mission-states.js';
import type { AgentSpec } from '../core/task.js';
import { type Db, enumOf, flag, int, intOrNull, json, jsonObject, parseRow, textOrNull } from './rows.js';
import { agentSpec } from './schemas.js';

export type { MilestoneStatus, MissionPhase, MissionState };

export interface MissionRecord {
  id: number;
  name: string;
  definition: unknown;
  agent: AgentSpec;
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

const missionRow = z.object({
  id: int,
  name: z.string(),
  // The mission file's shape and the settings belong to the mission runner; here, JSON objects.
  definition: json(jsonObject),
  agent: json(agentSpec),
  cwd: z.string(),
  settings: json(jsonObject),
  state: enumOf<MissionState>()(['pending', 'running', 'paused', 'done']),
  reason: textOrNull,
  phase: enumOf<MissionPhase>()(['idle', 'session', 'gate']),
  active: int,
  gate_run: intOrNull,
  sessions: int,
  created_at: int,
  started_at: intOrNull,
  updated_at: int,
});

const milestoneRow = z.object({
  mission_id: int,
  idx: int,
  status: enumOf<MilestoneStatus>()(['pending', 'active', 'done']),
  base_commit: textOrNull,
  started_at: intOrNull,
  done_at: intOrNull,
  done_by: textOrNull,
});

const sessionRow = z.object({
  id: int,
  mission_id: int,
  n: int,
  milestone: int,
  first_run: int,
  fresh: flag,
  started_at: int,
  ended_at: intOrNull,
  ended_how: textOrNull,
  gate_run: intOrNull,
  gate_exit: intOrNull,
  cost_usd: z.number().nullable(),
});

const toMission = (raw: unknown): MissionRecord => {
  const r = parseRow(
    missionRow,
    'missions',
    raw,
    (row) => `mission ${String(row.name)} (id ${String(row.id)})`,
  );
  return {
    id: r.id,
    name: r.name,
    definition: r.definition,
    agent: r.agent,
    cwd: r.cwd,
    settings: r.settings,
    state: r.state,
    reason: r.reason,
    phase: r.phase,
    active: r.active,
    gateRun: r.gate_run,
    sessions: r.sessions,
    createdAt: r.created_at,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
  };
};

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
    const row = this.db.prepare('SELECT * FROM missions WHERE id = ?').get(id);
    return row ? toMission(row) : null;
  }

  byName(name: string): MissionRecord | null {
    const row = this.db.prepare('SELECT * FROM missions WHERE name = ?').get(name);
    return row ? toMission(row) : null;
  }

  all(): MissionRecord[] {
    return this.db.prepare('SELECT * FROM missions ORDER BY id').all().map(toMission);
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
    return this.db
      .prepare('SELECT * FROM mission_milestones WHERE mission_id = ? ORDER BY idx')
      .all(missionId)
      .map((raw) => {
        const r = parseRow(milestoneRow, 'mission_milestones', raw, this.whose('milestone', 'idx'));
        return {
          idx: r.idx,
          status: r.status,
          baseCommit: r.base_commit,
          startedAt: r.started_at,
          doneAt: r.done_at,
          doneBy: r.done_by,
        };
      });
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
    return this.db
      .prepare('SELECT * FROM mission_sessions WHERE mission_id = ? ORDER BY n')
      .all(missionId)
      .map((raw) => {
        const r = parseRow(sessionRow, 'mission_sessions', raw, this.whose('session', 'n'));
        return {
          id: r.id,
          n: r.n,
          milestone: r.milestone,
          firstRun: r.first_run,
          fresh: r.fresh,
          startedAt: r.started_at,
          endedAt: r.ended_at,
          endedHow: r.ended_how,
          gateRun: r.gate_run,
          gateExit: r.gate_exit,
          costUsd: r.cost_usd,
        };
      });
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

  /** Names a milestone or session row by its mission, looked up only when the row is bad. */
  private whose(what: string, key: string) {
    return (row: Record<string, unknown>): string => {
      const mission = this.db.prepare('SELECT name FROM missions WHERE id = ?').get(row.mission_id) as
        | { name: unknown }
        | undefined;
      return `${what} ${String(row[key])} of mission ${String(mission?.name ?? '?')} (id ${String(row.mission_id)})`;
    };
  }
}
