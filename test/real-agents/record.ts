/**
 * Recording what the real agent CLIs print when their model API refuses: each CLI runs with a
 * mock of its model API (mock-run.mjs) inside a network namespace of their own where only loopback
 * is up (`unshare -rn`), so the CLI can reach nothing but the mock; then its output is normalised
 * into the placeholders the fake agent fills in (test/fixtures/fake-agent/README.md, "Recorded texts").
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const MOCK_RUN = join(import.meta.dirname, 'mock-run.mjs');
const RUN_TIMEOUT_MS = 120_000;

export interface MockReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface RealRun {
  command: string;
  /** The mock's `http://127.0.0.1:<port>`. */
  url: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** What the mock was asked. */
  requests: { method: string; url: string }[];
}

export interface RunSpec {
  /** null: no request is expected (the mock answers 500). */
  reply: MockReply | null;
  bin: string;
  args: string[];
  /** `{{url}}` in a value is the mock's address. */
  env: Record<string, string>;
  cwd: string;
  stdin: string;
  /** Files written before the run (`{{url}}` in their text is the mock's address). */
  files?: Record<string, string>;
}

/** Runs the real CLI against its mock, the two alone in an offline network namespace. */
export function runReal(spec: RunSpec): Promise<RealRun> {
  const script = 'ip link set lo up && exec "$0" "$@"';
  const args = ['-rn', 'sh', '-c', script, process.execPath, MOCK_RUN, JSON.stringify(spec)];
  return new Promise((resolve, reject) => {
    execFile(
      'unshare',
      args,
      { encoding: 'utf8', timeout: RUN_TIMEOUT_MS + 10_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          const r = JSON.parse(line) as Omit<RealRun, 'command'>;
          resolve({ command: [spec.bin, ...spec.args].join(' '), ...r });
        } catch {
          reject(
            new Error(
              `could not run ${spec.bin} in an offline network namespace (unshare -rn): ${error?.message ?? ''}\n${stderr}`,
            ),
          );
        }
      },
    );
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;
/** Numbers that differ on every run: replaced by `{{ms}}`, which the fake fills with its own. */
const MS_KEYS = new Set(['duration_ms', 'duration_api_ms', 'retry_delay_ms']);

/** What a recording replaces by placeholders; `text` pairs are replaced inside strings. */
export interface Volatile {
  sessionId: string;
  resetsAt?: number;
  resetText?: string;
  mockUrl?: string;
}

function normaliseString(s: string, v: Volatile): string {
  if (s === v.sessionId) return '{{sessionId}}';
  if (UUID.test(s)) return '{{uuid}}';
  if (ISO_TIME.test(s)) return '{{timestamp}}';
  let out = s.split(v.sessionId).join('{{sessionId}}');
  if (v.resetText) out = out.split(v.resetText).join('{{resetText}}');
  if (v.mockUrl) out = out.split(v.mockUrl).join('{{mockUrl}}');
  return out;
}

/** A parsed output value with its run-specific parts replaced by placeholders. */
export function normalise(value: unknown, v: Volatile, key?: string): unknown {
  if (typeof value === 'string') return normaliseString(value, v);
  if (typeof value === 'number') {
    if (key !== undefined && MS_KEYS.has(key)) return '{{ms}}';
    if (v.resetsAt !== undefined && value === v.resetsAt) return '{{resetsAt}}';
    return value;
  }
  if (Array.isArray(value)) return value.map((x) => normalise(x, v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, normalise(x, v, k)]));
  }
  return value;
}

/** stdout as JSON lines (a line that is not JSON is kept as a string). */
export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        return l;
      }
    });
}

/** stderr as lines, without blank ones. */
export function textLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}
