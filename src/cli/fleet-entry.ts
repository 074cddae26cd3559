/**
 * A task's spec said back as a holdfast.yaml entry (`holdfast export`, `up --explain`): the keys
 * `run` takes, with values its flags parse to the same spec, so `up` of an exported file changes
 * nothing.
 */

import { defaultBranch } from '../checkpoint/worktree.js';
import type { ConfigFlagValue } from '../config/schema.js';
import type { SinkSpec } from '../core/notify.js';
import {
  DEFAULT_KEEP_FINISHED_MS,
  DEFAULT_KEEP_RUNS,
  DEFAULT_LOG_MAX_BYTES,
  DEFAULT_RESTART_POLICY,
  DEFAULT_TOOL_TIMEOUT_MS,
  requestedCwd,
  type TaskSpec,
} from '../core/task.js';
import { DEFAULT_AGENT_STALL_MS, DEFAULT_RESUME_PROMPT } from './agent-options.js';
import { DEFAULT_CHECKPOINT_EVERY_MS } from './spec-options.js';

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A duration `parseDuration` reads back to exactly these milliseconds: `1h30m`, `90061s` never. */
export function exactDuration(ms: number): string {
  if (ms === 0) return '0s';
  let left = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) text += `${n}${unit}`;
    left -= n * size;
  }
  return text;
}

/** A size `parseSize` reads back exactly: `50MB`, `4KB`, else bytes. */
export function exactSize(bytes: number): string {
  if (bytes === 0) return '0';
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}GB`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KB`;
  return String(bytes);
}

function sinkText(sink: SinkSpec): string {
  if (sink.type === 'desktop') return 'desktop';
  if (sink.type === 'command') return `command:${sink.argv.join(' ')}`;
  return `webhook:${sink.url}`;
}

export interface EntryOptions {
  /** Every key, defaults included (`up --explain`); else only what differs from `run`'s defaults. */
  all: boolean;
}

/** The entry of a task: keys in the order `run --help` lists them. */
export function entryOf(
  name: string,
  spec: TaskSpec,
  prompt: string | null,
  options: EntryOptions,
): Record<string, ConfigFlagValue> {
  const entry: Record<string, ConfigFlagValue> = {};
  const put = (key: string, value: ConfigFlagValue | undefined, isDefault: boolean) => {
    if (value !== undefined && (options.all || !isDefault)) entry[key] = value;
  };
  const agent = spec.agent;
  const r = spec.restart;
  const d = DEFAULT_RESTART_POLICY;
  if (agent) {
    put('agent', agent.kind, false);
  } else {
    put('command', spec.command, false);
  }
  put('cwd', requestedCwd(spec), false);
  if (spec.worktree)
    put('worktree', spec.worktree.branch === defaultBranch(name) ? true : spec.worktree.branch, false);
  put('restart', r.mode, r.mode === (agent ? 'on-failure' : 'no'));
  put('max-restarts', r.maxRestarts ?? undefined, r.maxRestarts === null);
  put(
    'max-runtime',
    r.maxRuntimeMs === null ? undefined : exactDuration(r.maxRuntimeMs),
    r.maxRuntimeMs === null,
  );
  put(
    'backoff',
    `${exactDuration(r.backoffInitialMs)}..${exactDuration(r.backoffMaxMs)}`,
    r.backoffInitialMs === d.backoffInitialMs && r.backoffMaxMs === d.backoffMaxMs,
  );
  put('healthy-after', exactDuration(r.healthyAfterMs), r.healthyAfterMs === d.healthyAfterMs);
  put(
    'crash-loop',
    `${r.breakerMaxRestarts}/${exactDuration(r.breakerWindowMs)}`,
    r.breakerMaxRestarts === d.breakerMaxRestarts && r.breakerWindowMs === d.breakerWindowMs,
  );
  put('probe-every', exactDuration(r.probeIntervalMs), r.probeIntervalMs === d.probeIntervalMs);
  put(
    'stall-timeout',
    exactDuration(spec.stallTimeoutMs ?? 0),
    spec.stallTimeoutMs === (agent ? DEFAULT_AGENT_STALL_MS : null),
  );
  const tool = spec.toolTimeoutMs === undefined ? DEFAULT_TOOL_TIMEOUT_MS : spec.toolTimeoutMs;
  put('tool-timeout', exactDuration(tool ?? 0), tool === DEFAULT_TOOL_TIMEOUT_MS);
  put('on-stall', spec.onStall, spec.onStall === 'restart');
  put(
    'checkpoint-every',
    exactDuration(spec.checkpointEveryMs ?? 0),
    spec.checkpointEveryMs === DEFAULT_CHECKPOINT_EVERY_MS,
  );
  const logMax = spec.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
  put('log-max', exactSize(logMax), logMax === DEFAULT_LOG_MAX_BYTES);
  const keepRuns = spec.keepRuns ?? DEFAULT_KEEP_RUNS;
  put('keep-runs', keepRuns, keepRuns === DEFAULT_KEEP_RUNS);
  const keepFinished = spec.keepFinishedMs === undefined ? DEFAULT_KEEP_FINISHED_MS : spec.keepFinishedMs;
  put('keep-finished', exactDuration(keepFinished ?? 0), keepFinished === DEFAULT_KEEP_FINISHED_MS);
  put('on-boot', spec.onBoot, spec.onBoot === undefined);
  if (agent) {
    if (prompt !== null) put('prompt', prompt, false);
    put('model', agent.model ?? undefined, agent.model === null);
    put('unattended', agent.unattended, !agent.unattended);
    put('on-limit', agent.onLimit, agent.onLimit === 'wait');
    put(
      'limit-backoff',
      agent.limitBackoffMs.map(exactDuration).join(','),
      agent.limitBackoffMs.join(',') === '900000,1800000,3600000',
    );
    put('allow', agent.allow, (agent.allow ?? []).length === 0);
    put('deny', agent.deny, (agent.deny ?? []).length === 0);
    put('interactive', agent.interactive ?? false, !agent.interactive);
    if (agent.interactive) {
      put('trust', agent.trust ?? false, !agent.trust);
      put('resume-prompt', agent.resumePrompt, agent.resumePrompt === DEFAULT_RESUME_PROMPT);
    }
    put('args', agent.extraArgs, agent.extraArgs.length === 0);
  }
  if (spec.notify !== undefined) entry.notify = spec.notify.length === 0 ? 'none' : spec.notify.map(sinkText);
  return entry;
}
