import { constants } from 'node:os';

export interface PaneInfo {
  session: string;
  paneId: string;
  pid: number;
  /** The run id holdfast tagged the pane with (`@hf_run`), or null for an untagged pane. */
  runId: number | null;
  dead: boolean;
  /** Set once tmux has reaped the process; a dead pane with neither is "dead, status pending". */
  deadStatus: number | null;
  deadSignal: string | null;
  serverPid: number;
  /** Whether a `pipe-pane` process is attached (`#{pane_pipe}`); it drops to false when that process dies. */
  piped: boolean;
}

const FIELDS = [
  '#{session_name}',
  '#{pane_id}',
  '#{pane_pid}',
  '#{@hf_run}',
  '#{pane_dead}',
  '#{pane_dead_status}',
  '#{pane_dead_signal}',
  '#{pid}',
  '#{pane_pipe}',
];
export const PANE_FORMAT = FIELDS.join('|');

export function parsePaneLine(line: string): PaneInfo | null {
  const parts = line.split('|');
  if (parts.length !== FIELDS.length) return null;
  const [session, paneId, pid, run, dead, status, signal, serverPid, pipe] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    session,
    paneId,
    pid: Number(pid),
    runId: run === '' ? null : Number(run),
    dead: dead === '1',
    deadStatus: status === '' ? null : Number(status),
    deadSignal: signal === '' ? null : signalName(Number(signal)),
    serverPid: Number(serverPid),
    piped: pipe === '1',
  };
}

export function parsePaneList(stdout: string): PaneInfo[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parsePaneLine)
    .filter((p): p is PaneInfo => p !== null);
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as const),
);

export function signalName(signal: number): string {
  return SIGNAL_NAMES.get(signal) ?? `SIG${signal}`;
}
