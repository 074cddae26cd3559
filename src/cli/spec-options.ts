import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseBackoff, parseDuration } from '../core/duration.js';
import { HoldfastError } from '../core/errors.js';
import { parseSize } from '../core/size.js';
import {
  DEFAULT_KEEP_FINISHED_MS,
  DEFAULT_KEEP_RUNS,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_RESTART_POLICY,
  DEFAULT_TOOL_TIMEOUT_MS,
  ON_BOOT_ACTIONS,
  type RestartMode,
  type RestartPolicy,
  type StallAction,
  type TaskSpec,
} from '../core/task.js';

/** The flags of `holdfast run` that shape a task; each maps to one TaskSpec field. */
export interface SpecOptions {
  cwd?: string;
  restart?: string;
  maxRestarts?: string;
  maxRuntime?: string;
  backoff?: string;
  healthyAfter?: string;
  crashLoop?: string;
  probeEvery?: string;
  stallTimeout?: string;
  toolTimeout?: string;
  onStall?: string;
  checkpointEvery?: string;
  logMax?: string;
  keepRuns?: string;
  keepFinished?: string;
  onBoot?: string;
}

export const RESTART_MODES: readonly RestartMode[] = ['no', 'on-failure', 'always'];
export const STALL_ACTIONS: readonly StallAction[] = ['restart', 'notify'];

export function normalizeCwd(cwd: string | undefined, base = process.cwd()): string {
  const dir = resolve(base, cwd ?? '.');
  if (!existsSync(dir)) throw new HoldfastError('ENOCWD', `the working directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory())
    throw new HoldfastError('ENOCWD', `the working directory ${dir} is not a directory`);
  return dir;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new HoldfastError(
      'EUSAGE',
      `${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value))
    throw new HoldfastError('EUSAGE', `${flag}: expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `5/10m`: more than 5 restarts within 10 minutes trips the breaker. */
function parseCrashLoop(value: string): { breakerMaxRestarts: number; breakerWindowMs: number } {
  const [count, window, ...rest] = value.split('/');
  if (count === undefined || window === undefined || rest.length > 0) {
    throw new HoldfastError(
      'EUSAGE',
      `--crash-loop: expected COUNT/WINDOW such as 5/10m, got ${JSON.stringify(value)}`,
    );
  }
  return {
    breakerMaxRestarts: wholeNumber(count, '--crash-loop'),
    breakerWindowMs: parseDuration(window, '--crash-loop'),
  };
}

export function normalizeRestartPolicy(options: SpecOptions, defaultMode: RestartMode): RestartPolicy {
  return {
    ...DEFAULT_RESTART_POLICY,
    mode: options.restart === undefined ? defaultMode : oneOf(options.restart, RESTART_MODES, '--restart'),
    maxRestarts:
      options.maxRestarts === undefined ? null : wholeNumber(options.maxRestarts, '--max-restarts'),
    maxRuntimeMs:
      options.maxRuntime === undefined ? null : parseDuration(options.maxRuntime, '--max-runtime'),
    ...(options.backoff === undefined
      ? {}
      : (({ initialMs, maxMs }) => ({ backoffInitialMs: initialMs, backoffMaxMs: maxMs }))(
          parseBackoff(options.backoff),
        )),
    ...(options.healthyAfter === undefined
      ? {}
      : { healthyAfterMs: parseDuration(options.healthyAfter, '--healthy-after') }),
    ...(options.crashLoop === undefined ? {} : parseCrashLoop(options.crashLoop)),
    ...(options.probeEvery === undefined
      ? {}
      : { probeIntervalMs: parseDuration(options.probeEvery, '--probe-every') }),
  };
}

/** Checkpoints are on by default (every 5 minutes, in a git work tree); `0` turns them off. */
export const DEFAULT_CHECKPOINT_EVERY_MS = 5 * 60_000;

export function normalizeCheckpointEvery(text: string | undefined): number | null {
  if (text === undefined) return DEFAULT_CHECKPOINT_EVERY_MS;
  const ms = parseDuration(text, '--checkpoint-every');
  return ms === 0 ? null : ms;
}

export function normalizeTaskSpec(
  command: string[],
  options: SpecOptions,
  context: { userUmask: number; defaultMode: RestartMode; defaultStallMs: number | null },
): TaskSpec {
  const stall =
    options.stallTimeout === undefined
      ? context.defaultStallMs
      : parseDuration(options.stallTimeout, '--stall-timeout');
  const tool =
    options.toolTimeout === undefined
      ? DEFAULT_TOOL_TIMEOUT_MS
      : parseDuration(options.toolTimeout, '--tool-timeout');
  return {
    command,
    cwd: normalizeCwd(options.cwd),
    umask: context.userUmask.toString(8).padStart(3, '0'),
    restart: normalizeRestartPolicy(options, context.defaultMode),
    stallTimeoutMs: stall === 0 ? null : stall,
    toolTimeoutMs: tool === 0 ? null : tool,
    onStall: options.onStall === undefined ? 'restart' : oneOf(options.onStall, STALL_ACTIONS, '--on-stall'),
    agent: null,
    checkpointEveryMs: normalizeCheckpointEvery(options.checkpointEvery),
    mission: null,
    ...normalizeRetention(options),
    // Absent: the default by kind (core/task.ts onBootOf), decided when a reboot asks.
    ...(options.onBoot === undefined ? {} : { onBoot: oneOf(options.onBoot, ON_BOOT_ACTIONS, '--on-boot') }),
  };
}

/** The smallest `--log-max` other than 0: smaller segments would mean a file per few lines. */
export const MIN_LOG_MAX_BYTES = 4096;

/** `--log-max`, `--keep-runs`, `--keep-finished`, with their built-in defaults (`0`: never). */
export function normalizeRetention(options: Pick<SpecOptions, 'logMax' | 'keepRuns' | 'keepFinished'>): {
  logMaxBytes: number;
  keepRuns: number;
  keepFinishedMs: number | null;
} {
  const logMaxBytes =
    options.logMax === undefined ? DEFAULT_LOG_MAX_BYTES : parseSize(options.logMax, '--log-max');
  if (logMaxBytes !== 0 && logMaxBytes < MIN_LOG_MAX_BYTES)
    throw new HoldfastError(
      'EUSAGE',
      `--log-max: at least 4KB (or 0 for no rotation), got ${options.logMax}`,
    );
  const keepRuns =
    options.keepRuns === undefined ? DEFAULT_KEEP_RUNS : wholeNumber(options.keepRuns, '--keep-runs');
  if (keepRuns < 1) throw new HoldfastError('EUSAGE', '--keep-runs: at least 1 (the current run)');
  const keepFinishedMs =
    options.keepFinished === undefined
      ? DEFAULT_KEEP_FINISHED_MS
      : parseDuration(options.keepFinished, '--keep-finished');
  return { logMaxBytes, keepRuns, keepFinishedMs: keepFinishedMs === 0 ? null : keepFinishedMs };
}
