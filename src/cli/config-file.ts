/**
 * What `holdfast config` does with the file: check every value through the real parsers, read the
 * effective value of a key, and change one key in place (comments and other keys kept), written
 * atomically and only when the result checks.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { Command, type Option } from 'commander';
import { isScalar, parse, parseDocument } from 'yaml';
import { AGENT_KINDS } from '../agents/registry.js';
import { DEFAULT_BOOT_STAGGER_MS, daemonSettings } from '../config/daemon.js';
import {
  ConfigError,
  type ConfigFile,
  type ConfigProblem,
  formatProblem,
  inspectConfig,
  readConfigFile,
} from '../config/load.js';
import { AGENT_DEFAULT_KEYS, type Config } from '../config/schema.js';
import { formatDuration } from '../core/duration.js';
import { HoldfastError } from '../core/errors.js';
import { INTERACTIVE_AGENTS } from './agent-options.js';
import * as run from './commands/run.js';
import {
  agentKindProblems,
  applyConfigDefaults,
  blameConfig,
  configurableOptions,
  isFlag,
  sectionsFor,
} from './config-defaults.js';
import { didYouMean } from './suggest.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A `run` command of its own, unparsed, so each check starts from the flags' built-in defaults. */
function freshRunCommand(): Command {
  const program = new Command('holdfast').enablePositionalOptions().exitOverride();
  run.register(program);
  return program.commands[0]!.exitOverride();
}

/** The tasks a check builds with the config's defaults: a command, each agent, each interactive one. */
const SCENARIOS: readonly { argv: string[]; args: string[]; agent?: string; label: string }[] = [
  { argv: [], args: ['true'], label: 'a command task' },
  ...AGENT_KINDS.map((kind) => ({
    argv: ['--agent', kind],
    args: [],
    agent: kind,
    label: `--agent ${kind}`,
  })),
  ...INTERACTIVE_AGENTS.map((kind) => ({
    argv: ['--agent', kind, '--interactive'],
    args: [],
    agent: kind,
    label: `--agent ${kind} --interactive`,
  })),
];

function problemOf(error: unknown, path: string): ConfigProblem {
  if (error instanceof ConfigError) return error.problem;
  return { path, line: null, key: '', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Every problem of the config file: YAML, the schema, agent kinds, `daemon:`, and each `run:` and
 * `agents:` value as `holdfast run` would take it (for a command task, every agent, and the
 * interactive ones), through the same parsers and checks. A problem only some tasks hit says which.
 */
export function checkConfig(file: ConfigFile): ConfigProblem[] {
  const early = [...file.problems, ...agentKindProblems(file)];
  if (early.length > 0 || file.config === null) return early;
  const config = file.config;
  const problems: ConfigProblem[] = [];
  try {
    daemonSettings(config);
  } catch (error) {
    problems.push({
      path: file.path,
      line: file.lineOf(['daemon', 'boot-stagger']),
      key: 'daemon.boot-stagger',
      message: (error as Error).message.replace(/^daemon\.boot-stagger: /, ''),
    });
  }
  const seen = new Map<string, { problem: ConfigProblem; labels: string[] }>();
  for (const scenario of SCENARIOS) {
    for (const problem of scenarioProblems(file, config, scenario)) {
      const text = formatProblem(problem);
      const entry = seen.get(text) ?? { problem, labels: [] };
      entry.labels.push(scenario.label);
      seen.set(text, entry);
    }
  }
  for (const { problem, labels } of seen.values()) {
    problems.push(
      labels.length === SCENARIOS.length
        ? problem
        : { ...problem, message: `${problem.message} (for holdfast run ${labels.join('; ')})` },
    );
  }
  return problems.sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
}

/**
 * The problems one task would meet: after each, the key it names is left out and the task built
 * again, so one bad value does not hide the next.
 */
function scenarioProblems(
  file: ConfigFile,
  config: Config,
  scenario: (typeof SCENARIOS)[number],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let sections = sectionsFor(config, scenario.agent);
  for (let attempt = 0; attempt <= Object.keys(config.run).length + 8; attempt++) {
    const command = freshRunCommand();
    command.parseOptions(scenario.argv);
    try {
      const applied = applyConfigDefaults(command, file, sections);
      try {
        run.planRun(scenario.args, command.opts() as run.RunOptions, 0o022);
      } catch (error) {
        throw blameConfig(error, command, applied);
      }
      return problems;
    } catch (error) {
      const problem = problemOf(error, file.path);
      problems.push(problem);
      const dot = problem.key.lastIndexOf('.');
      const [section, key] = [problem.key.slice(0, dot), problem.key.slice(dot + 1)];
      if (!(error instanceof ConfigError) || !sections.some((s) => s.name === section)) return problems;
      sections = sections.map((s) =>
        s.name === section
          ? { ...s, values: Object.fromEntries(Object.entries(s.values).filter(([k]) => k !== key)) }
          : s,
      );
    }
  }
  return problems;
}

/** A dotted key's parts, and what kind of key it is, or a usage error with the nearest key. */
function parseKey(key: string, options: Map<string, Option>): (string | number)[] {
  const parts = key.split('.');
  const [section, name, field, ...rest] = parts;
  const wrong = (message: string, candidates: string[], word: string) =>
    new HoldfastError('EUSAGE', `${key}: ${message}`, {
      hint:
        didYouMean(word, candidates) ?? 'keys: run.<flag>, agents.<kind>.<key>, daemon.boot-stagger, notify',
    });
  switch (section) {
    case 'run':
      if (name === undefined) return ['run'];
      if (field !== undefined || !options.has(name))
        throw wrong('not an option of holdfast run that the config can set', [...options.keys()], name);
      return ['run', name];
    case 'agents':
      if (name === undefined) return ['agents'];
      if (!(AGENT_KINDS as readonly string[]).includes(name))
        throw wrong(`not an agent holdfast runs (${AGENT_KINDS.join(', ')})`, [...AGENT_KINDS], name);
      if (field === undefined) return ['agents', name];
      if (rest.length > 0 || !AGENT_DEFAULT_KEYS.includes(field))
        throw wrong(
          `an agent's section sets ${AGENT_DEFAULT_KEYS.join(', ')}`,
          [...AGENT_DEFAULT_KEYS],
          field,
        );
      return ['agents', name, field];
    case 'daemon':
      if (name === undefined) return ['daemon'];
      if (name !== 'boot-stagger' || field !== undefined)
        throw wrong('the daemon section sets boot-stagger', ['boot-stagger'], name);
      return ['daemon', name];
    case 'notify':
      if (name === undefined) return ['notify'];
      if (!/^\d+$/.test(name)) throw wrong('notify is a list of sinks: notify.<n>.<key>', [], name);
      return ['notify', Number(name), ...parts.slice(2)];
    default:
      throw wrong('not a config key', ['run', 'agents', 'daemon', 'notify'], section ?? '');
  }
}

/** What a run option is when neither the flag nor the config gives it (null: none that can be said). */
function builtIn(option: Option | undefined): unknown {
  if (option === undefined) return null;
  if (isFlag(option)) return false;
  return option.defaultValue ?? null;
}

export interface ConfigValue {
  key: string;
  value: unknown;
  /** Which section gave it (`run`, `agents.claude`, `daemon`, `notify`), `built-in`, or null when unset. */
  from: string | null;
}

/** The file's values as written (kebab-case keys), each section present, the daemon's default filled. */
function writtenConfig(file: ConfigFile): Record<string, unknown> {
  const raw = (file.text === null ? {} : (parse(file.text) ?? {})) as Record<string, unknown>;
  const daemon = (raw.daemon ?? {}) as Record<string, unknown>;
  return {
    run: raw.run ?? {},
    agents: raw.agents ?? {},
    daemon: { ...daemon, 'boot-stagger': daemon['boot-stagger'] ?? formatDuration(DEFAULT_BOOT_STAGGER_MS) },
    notify: raw.notify ?? [],
  };
}

/**
 * The value a new task (or the daemon) would get for a key: the agent's section, else `run:`,
 * else the flag's built-in default; no key: the whole file as written, with the daemon's default.
 */
export function configValue(file: ConfigFile, key: string | undefined): ConfigValue {
  const whole = writtenConfig(file);
  if (key === undefined) return { key: '', value: whole, from: file.exists ? 'file' : 'built-in' };
  const options = configurableOptions(freshRunCommand());
  const path = parseKey(key, options);
  const runValues = whole.run as Record<string, unknown>;
  if (path[0] === 'run' && path.length === 2) {
    const name = path[1] as string;
    if (runValues[name] !== undefined) return { key, value: runValues[name], from: 'run' };
    const value = builtIn(options.get(name));
    return { key, value, from: value === null ? null : 'built-in' };
  }
  if (path[0] === 'agents' && path.length === 3) {
    const [, kind, field] = path as [string, string, string];
    const own = (whole.agents as Record<string, Record<string, unknown> | undefined>)[kind]?.[field];
    if (own !== undefined) return { key, value: own, from: `agents.${kind}` };
    if (runValues[field] !== undefined) return { key, value: runValues[field], from: 'run' };
    const value = builtIn(options.get(field));
    return { key, value, from: value === null ? null : 'built-in' };
  }
  let value: unknown = whole;
  for (const part of path) value = (value as Record<string | number, unknown> | undefined)?.[part];
  const fromFile = (parse(file.text ?? '') as Record<string, unknown> | null)?.[path[0] as string];
  return {
    key,
    value: value ?? null,
    from: value === undefined ? null : fromFile === undefined ? 'built-in' : String(path[0]),
  };
}

/**
 * Sets (or, with `value` undefined, removes) one key in the file, keeping its comments and every
 * other key. The new text is checked as `config check` would; a problem is a usage error and the
 * file is left as it was. Returns whether the file changed.
 */
export function changeConfig(
  env: Env,
  key: string,
  valueText: string | undefined,
): { path: string; changed: boolean; value: unknown } {
  const file = readConfigFile(env);
  if (file.exists && file.text === null) throw new ConfigError(file.problems[0]!);
  const doc = parseDocument(file.text ?? '', { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file.problems[0] ?? { path: file.path, line: null, key: '', message: doc.errors[0]!.message },
      'fix the YAML first (holdfast config check), then set the key',
    );
  }
  const path = parseKey(key, configurableOptions(freshRunCommand()));
  if (path.length < 2 && path[0] !== 'notify')
    throw new HoldfastError('EUSAGE', `${key}: set one key, such as ${key}.<name>`);
  let value: unknown;
  if (valueText === undefined) {
    if (!doc.hasIn(path)) return { path: file.path, changed: false, value: undefined };
    doc.deleteIn(path);
  } else {
    try {
      value = parse(valueText);
    } catch (error) {
      throw new HoldfastError(
        'EUSAGE',
        `${key}: the value is not YAML: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    const node = doc.getIn(path, true);
    // A scalar changed in place keeps the comment on its line.
    if (isScalar(node) && (value === null || typeof value !== 'object')) node.value = value;
    else doc.setIn(path, doc.createNode(value));
  }
  const text = doc.toString();
  const next: ConfigFile = { path: file.path, exists: true, text, ...inspectConfig(text, file.path) };
  // Only what the change brings in: a file with a problem elsewhere can still be fixed key by key.
  const before = new Set(checkConfig(file).map((p) => `${p.key}\0${p.message}`));
  const problem = checkConfig(next).find((p) => !before.has(`${p.key}\0${p.message}`));
  if (problem !== undefined) {
    throw new HoldfastError('EUSAGE', `${problem.key || key}: ${problem.message}`, {
      hint: `nothing was written; ${file.path} is as it was`,
    });
  }
  writeConfigAtomically(file.path, text);
  return { path: file.path, changed: true, value };
}

/**
 * Replaces the file in one rename (a reader sees the old text or the new, never half), 0600. A
 * config that is a link (a dotfiles checkout) is written where the link points, the link kept.
 */
export function writeConfigAtomically(path: string, text: string): void {
  const target = existsSync(path) ? realpathSync(path) : path;
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed: nothing left behind
    }
    throw error;
  }
}
