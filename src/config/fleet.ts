/**
 * `holdfast.yaml`: many tasks (and missions) declared in one file, applied by `holdfast up`. Keys
 * are written as on the command line, like the config file's `run:` section; this module finds the
 * file, parses it, fills in `${VAR}` from the environment and checks its shape, every problem with
 * the file, the line and the key. What each value means is left to `run`'s (and `mission init`'s)
 * own parsing, which the CLI applies per entry.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isScalar, LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import { validateTaskName } from '../core/names.js';
import { type ConfigProblem, lineOfPath, problemError } from './load.js';
import type { ConfigFlagValue } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The names looked for, in each directory from the current one up, as docker compose looks for its file. */
export const FLEET_FILE_NAMES = ['holdfast.yaml', 'holdfast.yml'] as const;

const HINT = 'fix the file, then check it with: holdfast up --dry-run';

/** A list item may be a number in YAML (`[sleep, 10]`): it is the text it was written as. */
const word = z.union([z.string(), z.number()]).transform(String);
const flagValue = z.union([z.string(), z.number(), z.boolean(), z.array(word)]);
const entry = z.record(z.string(), flagValue);

const fleetSchema = z.strictObject({
  version: z.literal(1).optional(),
  /** A value for any `run` option, for every task that does not give its own. */
  defaults: entry.default({}),
  tasks: z
    .record(
      z.string(),
      entry.nullable().transform((e) => e ?? {}),
    )
    .default({}),
  missions: z
    .record(
      z.string(),
      entry.nullable().transform((e) => e ?? {}),
    )
    .default({}),
});

export interface FleetEntry {
  name: string;
  /** The entry's keys as written (paths made absolute against the file's directory). */
  values: Record<string, ConfigFlagValue>;
}

export interface FleetFile {
  path: string;
  /** Relative paths in the file are relative to here. */
  dir: string;
  defaults: Record<string, ConfigFlagValue>;
  tasks: FleetEntry[];
  missions: FleetEntry[];
  /** The line of a key (a path of segments), or of its deepest ancestor in the file. */
  lineOf(keyPath: readonly (string | number)[]): number | null;
}

/** Keys whose value is a path: relative to the file's directory, `~/` the home directory. */
const PATH_KEYS: ReadonlySet<string> = new Set(['cwd', 'prompt-file', 'rules-file', 'file']);

/** The file `up` reads: `-f` as given, else the nearest `holdfast.yaml` from `start` upward. */
export function findFleetFile(given: string | undefined, start: string = process.cwd()): string | null {
  if (given !== undefined) return resolve(start, given);
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    for (const name of FLEET_FILE_NAMES) {
      const candidate = join(dir, name);
      if (isFile(candidate)) return candidate;
    }
    if (dirname(dir) === dir) return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads, interpolates and checks the file; the first problem is an `ECONFIG` error naming its line. */
export function readFleetFile(path: string, env: Env = process.env): FleetFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw problemError(
      { path, line: null, key: '', message: `cannot read the file: ${(error as Error).message}` },
      'holdfast up -f <file>, or a holdfast.yaml in this directory or one above it',
    );
  }
  return parseFleetFile(text, path, env);
}

export function parseFleetFile(text: string, path: string, env: Env = process.env): FleetFile {
  const { file, problems } = inspectFleetFile(text, path, env);
  if (problems[0] !== undefined) throw problemError(problems[0], HINT);
  return file!;
}

/** Every problem of the file's syntax, variables and shape, each with its line. */
export function inspectFleetFile(
  text: string,
  path: string,
  env: Env = process.env,
): { file: FleetFile | null; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  // Keys compared as the scalars they are: yaml's own check (`uniqueKeys: true`) compares every pair
  // of a map's keys as nodes, and with 200 tasks that was most of the parse.
  const uniqueKeys = (a: unknown, b: unknown) =>
    a === b || (isScalar(a) && isScalar(b) && a.value === b.value);
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys });
  const lineOf = (keyPath: readonly (string | number)[]) => lineOfPath(doc, lineCounter, keyPath);
  if (doc.errors.length > 0) {
    return {
      file: null,
      problems: doc.errors.map((e) => ({
        path,
        line: lineCounter.linePos(e.pos[0]).line,
        key: '',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  const problems: ConfigProblem[] = [];
  const raw = interpolate(doc.toJS() ?? {}, [], env, (keyPath, message) =>
    problems.push({ path, line: lineOf(keyPath), key: keyPath.join('.'), message }),
  );
  if (problems.length > 0) return { file: null, problems };
  const parsed = fleetSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      file: null,
      problems: parsed.error.issues.map((issue) => {
        const at = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        const keyPath = issue.code === 'unrecognized_keys' ? [...at, issue.keys[0]!] : at;
        return { path, line: lineOf(keyPath), key: keyPath.map(String).join('.'), message: issue.message };
      }),
    };
  }
  const dir = dirname(path);
  const home = env.HOME ?? '';
  const entries = (section: 'tasks' | 'missions') =>
    Object.entries(parsed.data[section]).map(([name, values]) => {
      try {
        validateTaskName(name);
      } catch (error) {
        problems.push({
          path,
          line: lineOf([section, name]),
          key: `${section}.${name}`,
          message: (error as Error).message,
        });
      }
      return { name, values: withPaths(values, dir, home) };
    });
  const file: FleetFile = {
    path,
    dir,
    defaults: withPaths(parsed.data.defaults, dir, home),
    tasks: entries('tasks'),
    missions: entries('missions'),
    lineOf,
  };
  return { file: problems.length > 0 ? null : file, problems };
}

function withPaths(
  values: Record<string, ConfigFlagValue>,
  dir: string,
  home: string,
): Record<string, ConfigFlagValue> {
  const out: Record<string, ConfigFlagValue> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = PATH_KEYS.has(key) && typeof value === 'string' ? absolute(value, dir, home) : value;
  }
  return out;
}

function absolute(value: string, dir: string, home: string): string {
  if (value === '~' || value.startsWith('~/')) return join(home, value.slice(1));
  return isAbsolute(value) ? value : resolve(dir, value);
}

/**
 * `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` and
 * `$$` (a `$`), as docker compose reads them, in every string value (never in keys). A variable
 * that is not set and has no default is a problem, not an empty string.
 */
function interpolate(
  value: unknown,
  keyPath: (string | number)[],
  env: Env,
  problem: (keyPath: (string | number)[], message: string) => void,
): unknown {
  if (typeof value === 'string') return interpolateText(value, env, (m) => problem(keyPath, m));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...keyPath, i], env, problem));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...keyPath, k], env, problem);
    return out;
  }
  return value;
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$\{[^}]*\}?/g;

export function interpolateText(text: string, env: Env, problem: (message: string) => void): string {
  return text.replace(
    VARIABLE,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      if (name === undefined) {
        problem(`${match}: not a variable (\${NAME}, \${NAME:-default}; $$ for a $)`);
        return match;
      }
      const set = env[name];
      const missing = op?.startsWith(':') ? set === undefined || set === '' : set === undefined;
      if (!missing) return set!;
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') {
        problem(`\${${name}} is not set${arg ? `: ${arg}` : ''}`);
        return match;
      }
      problem(`\${${name}} is not set; set it, or give a default: \${${name}:-value}`);
      return match;
    },
  );
}
