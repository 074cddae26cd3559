import type { Fleet } from './fleet.js';

/** One line of the printed table: holdfast's figure beside the peer's (pm2, or a bare tmux pane). */
export interface Row {
  metric: string;
  holdfast: string;
  peer: string;
  peerValue: string;
}

export interface ScenarioResult {
  rows: Row[];
  /** Everything measured, raw samples included, for the JSON file. */
  data: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  /** `--kills N`: how many kills the death scenario makes (default 100, 20 with --quick). */
  kills: number | null;
  /** `--dashboard-minutes M`: the dashboard's memory window (default 10, 2 with --quick). */
  dashboardMinutes: number | null;
  /** `--up-tasks N`: how many tasks the up scenario starts from one file (default 200). */
  upTasks: number | null;
  /** `--scale-tasks N`: how many tasks the scale scenario runs on each side (default 1000). */
  scaleTasks: number | null;
  /** `--soak-minutes M`: the soak's window (default 60, 2 with --quick). */
  soakMinutes: number | null;
  log(message: string): void;
  /** 200 idle tasks under holdfast and 200 apps under pm2, shared by the scenarios that need them. */
  fleet(): Promise<Fleet>;
}

export interface Scenario {
  name: string;
  title: string;
  usesFleet?: boolean;
  /** Run only when named with --only (the soak takes an hour). */
  onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
