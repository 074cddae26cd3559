/** Where the config file is and what it says, validated, with errors that name the file, line and key. */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { HoldfastError } from '../core/errors.js';
import { configPath } from './path.js';
import { type Config, configSchema, EMPTY_CONFIG } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

export { configPath } from './path.js';

/** The config in force: an absent file is the built-in defaults; a bad one is an `ECONFIG` error. */
export function loadConfig(env: Env = process.env): Config {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    throw new HoldfastError('ECONFIG', `${path}: cannot read the config file: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}

const HINT = 'fix the file, then check it with: holdfast config check';

/** One thing wrong with the config file, where it is: the file, the line (when known), the dotted key. */
export interface ConfigProblem {
  path: string;
  line: number | null;
  key: string;
  message: string;
}

/** `file:line: key: message`, as every config error is said. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === null ? problem.path : `${problem.path}:${problem.line}`;
  return `${where}: ${problem.key === '' ? '' : `${problem.key}: `}${problem.message}`;
}

/** An `ECONFIG` error that keeps its problem, so `config check` can list it with its parts. */
export class ConfigError extends HoldfastError {
  constructor(
    readonly problem: ConfigProblem,
    hint: string = HINT,
  ) {
    super('ECONFIG', formatProblem(problem), { hint });
  }
}

export function problemError(problem: ConfigProblem, hint = HINT): ConfigError {
  return new ConfigError(problem, hint);
}

/** The file's text read, validated and kept with its YAML document, so any key's line can be found. */
export interface ConfigFile {
  path: string;
  exists: boolean;
  /** null when the file is absent or cannot be read. */
  text: string | null;
  /** null when the file has problems (absent: the built-in defaults). */
  config: Config | null;
  problems: ConfigProblem[];
  /** The line of a key (a dotted path's segments), or of its deepest ancestor in the file. */
  lineOf(keyPath: readonly (string | number)[]): number | null;
}

/** The config file as it is, problems listed rather than thrown (for `config check`, `config set`). */
export function readConfigFile(env: Env = process.env): ConfigFile {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      path,
      exists: !missing,
      text: null,
      config: missing ? EMPTY_CONFIG : null,
      problems: missing
        ? []
        : [
            {
              path,
              line: null,
              key: '',
              message: `cannot read the config file: ${(error as Error).message}`,
            },
          ],
      lineOf: () => null,
    };
  }
  return { path, exists: true, text, ...inspectConfig(text, path) };
}

/** Every problem of a config text (YAML syntax, then the schema), each with its line. */
export function inspectConfig(
  text: string,
  path: string,
): Pick<ConfigFile, 'config' | 'problems' | 'lineOf'> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (keyPath: readonly (string | number)[]) => lineOfPath(doc, lineCounter, keyPath);
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path,
      line: lineCounter.linePos(e.pos[0]).line,
      key: '',
      message: firstLine(e.message),
    }));
    return { config: null, problems, lineOf };
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { config: parsed.data, problems: [], lineOf };
  const problems = parsed.error.issues.map((issue) => ({
    path,
    line: lineOf(
      issue.code === 'unrecognized_keys' ? [...issue.path.map(keyOf), issue.keys[0]!] : issue.path.map(keyOf),
    ),
    key: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  return { config: null, problems, lineOf };
}

export function parseConfig(text: string, path: string): Config {
  const { config, problems } = inspectConfig(text, path);
  if (problems[0] !== undefined) throw problemError(problems[0]);
  return config!;
}

function keyOf(segment: PropertyKey): string | number {
  return typeof segment === 'symbol' ? String(segment) : segment;
}

/** The line of the deepest node of the path that exists in the file (an unknown key: the key itself). */
export function lineOfPath(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth) as (string | number)[];
    const node = prefix.length === 0 ? doc.contents : doc.getIn(prefix, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    const start = keyStart(doc, prefix) ?? range?.[0];
    // A key's own position reads better than its value's: find the pair in the parent map.
    if (start !== undefined) return lineCounter.linePos(start).line;
  }
  return null;
}

function keyStart(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): number | null {
  if (path.length === 0) return null;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] })
    ?.items;
  const last = path[path.length - 1];
  const pair = items?.find((item) => item.key?.value === last);
  return pair?.key?.range?.[0] ?? null;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
