/**
 * A mission as the runner decides about it: the row's state with its definition and settings
 * parsed, and the progress of its milestones and sessions. The store's records have these fields
 * (and more); mission/ names only what it reads.
 */

import type { MilestoneStatus, MissionPhase, MissionState } from '../core/mission-states.js';
import type { MissionDefinition } from './mission-file.js';
import type { MissionSettings } from './settings.js';

export type { MilestoneStatus, MissionPhase, MissionState };

export interface Mission {
  name: string;
  cwd: string;
  definition: MissionDefinition;
  settings: MissionSettings;
  state: MissionState;
  reason: string | null;
  phase: MissionPhase;
  /** Index of the milestone being worked on. */
  active: number;
  /** The gate task's run number this gate phase waits for. */
  gateRun: number | null;
  /** Sessions started so far. */
  sessions: number;
  startedAt: number | null;
}

export interface MilestoneProgress {
  idx: number;
  status: MilestoneStatus;
  /** The checkpoint taken as the milestone started: continuation prompts diff against it. */
  baseCommit: string | null;
  /** When that checkpoint was taken (null: not yet, whether or not the cwd is a git work tree). */
  startedAt: number | null;
}

export interface SessionProgress {
  n: number;
  milestone: number;
  /** The agent task's first run number for this session. */
  firstRun: number;
  fresh: boolean;
  endedAt: number | null;
  endedHow: string | null;
  gateRun: number | null;
  costUsd: number | null;
}

/** The agent task that works a mission's sessions, and the gate task, are named after it. */
export const gateTaskName = (mission: string): string => `${mission}-gate`;
