/**
 * The config file's defaults for a command's options, applied generically by flag name: for each
 * option of the command the user did not give, the config's value goes through exactly what
 * commander does with the flag's text (its choices, its collector, its parser), and is recorded with
 * the source `config`; the command's own validation then runs unchanged, and an error it raises about
 * a flag whose value came from the config names the file, the line and the key instead.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EFFECTS, type Effect, parseRule } from '../agents/policy.js';
import { AGENT_KINDS } from '../agents/registry.js';
import { type ConfigFile, type ConfigProblem, problemError, readConfigFile } from '../config/load.js';
import type { Config, ConfigFlagValue } from '../config/schema.js';
import { HoldfastError } from '../core/errors.js';
import { AGENT_ONLY_FLAGS, INTERACTIVE_ONLY_FLAGS } from './agent-options.js';
import { RULE_AGENTS } from './approval-options.js';
import { CONFIGURED } from './configured.js';
import type { Context } from './context.js';
import { didYouMean } from './suggest.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Options that name one task: a default would give every task the same name, prompt or kind. */
export const PER_TASK_OPTIONS: ReadonlySet<string> = new Set(['name', 'prompt', 'prompt-file', 'agent']);

/**
 * Approval rules add up (`run:`'s, the agent's section's, then the flags'), where any other flag
 * replaces the config's value: a deny rule in the config is a guard that a flag must not drop, and
 * deny wins in the matcher whoever wrote it.
 */
const ADDITIVE: ReadonlySet<string> = new Set(EFFECTS);

/** The `--no-<flag>` options added so that a `true` from the config can be turned off; not config keys. */
const NEGATIONS = new WeakSet<Option>();

/** A config section whose keys are option names: `run`, or `agents.<kind>`. */
export interface DefaultsSection {
  name: string;
  values: Readonly<Record<string, ConfigFlagValue | undefined>>;
  /** The file the section is in, when not the one given with the sections (holdfast.yaml beside the config). */
  file?: AppliedDefaults['file'];
  /**
   * One task's own entry (holdfast.yaml's `tasks.<name>`): it may give the per-task options, every
   * key it gives is applied (an agent-only one on a command task is refused, not dropped), and an
   * unknown key is a problem.
   */
  own?: boolean;
  /** An unknown key is a problem (as in `run:`), not left for another command. */
  strict?: boolean;
  /** What to do about a bad value here (the config file's: `holdfast config check`). */
  hint?: string;
}

const ORDERED = new WeakMap<Command, Map<boolean, [string, Option, string][]>>();

/**
 * The configurable options in the order they are applied, worked out once per command (holdfast.yaml
 * applies them to the same command for each of its entries): whether a task is interactive (and so
 * takes --trust and rules) may itself come from the config, so those come last.
 */
function orderedOptions(command: Command, perTask: boolean): [string, Option, string][] {
  const byMode = ORDERED.get(command) ?? new Map<boolean, [string, Option, string][]>();
  ORDERED.set(command, byMode);
  const known = byMode.get(perTask);
  if (known) return known;
  const later = (attribute: string) =>
    (INTERACTIVE_ONLY_FLAGS as readonly string[]).includes(attribute) ||
    ADDITIVE.has(attribute) ||
    attribute === 'rulesFile';
  const ordered = [...configurableOptions(command, perTask)]
    .map(([key, option]): [string, Option, string] => [key, option, option.attributeName()])
    .sort(([, , a], [, , b]) => Number(later(a)) - Number(later(b)));
  byMode.set(perTask, ordered);
  return ordered;
}

/** Where a value that was applied came from, to blame the right line when it is refused. */
interface Origin {
  section: string;
  key: string;
  file?: AppliedDefaults['file'];
  hint?: string;
}

export interface AppliedDefaults {
  file: Pick<ConfigFile, 'path' | 'lineOf'>;
  /** By attribute name (`maxRestarts`): the options whose value the config gave. */
  origins: Map<string, Origin>;
}

/** The sections that give a task's defaults, the agent's first: it wins over `run:` for its tasks. */
export function sectionsFor(config: Config, agent: string | undefined): DefaultsSection[] {
  const own = agent === undefined ? undefined : config.agents[agent];
  return [
    ...(own === undefined ? [] : [{ name: `agents.${agent}`, values: own }]),
    { name: 'run', values: config.run },
  ];
}

/**
 * Adds a hidden `--no-<flag>` for each boolean flag that has none (`--unattended`, `--interactive`,
 * `--trust`, …), so that the command line still wins over a config file that sets it.
 */
export function addNegations(command: Command): Command {
  for (const option of [...command.options]) {
    if (!option.isBoolean() || option.negate || option.long === undefined) continue;
    const long = option.long.replace(/^--/, '--no-');
    if (command.options.some((o) => o.long === long)) continue;
    const negation = new Option(long, `turn ${option.long} off where the config file sets it`).hideHelp();
    NEGATIONS.add(negation);
    command.addOption(negation);
  }
  return command;
}

/** The config keys a command's options answer to: each long flag without its dashes (`no-daemon`). */
const CONFIGURABLE = new WeakMap<Command, Map<boolean, Map<string, Option>>>();

export function configurableOptions(command: Command, perTask = false): Map<string, Option> {
  const byMode = CONFIGURABLE.get(command) ?? new Map<boolean, Map<string, Option>>();
  CONFIGURABLE.set(command, byMode);
  const known = byMode.get(perTask);
  if (known) return known;
  const byKey = new Map<string, Option>();
  byMode.set(perTask, byKey);
  for (const option of command.options) {
    if (option.long === undefined || NEGATIONS.has(option)) continue;
    const key = option.long.slice(2);
    // The name of a declared task is its key in the file, never a value in it.
    if (perTask ? key !== 'name' : !PER_TASK_OPTIONS.has(key)) byKey.set(key, option);
  }
  return byKey;
}

function locate(file: AppliedDefaults['file'], section: string, key: string, index?: number) {
  const path = [...section.split('.'), key, ...(index === undefined ? [] : [index])];
  return { path: file.path, line: file.lineOf(path), key: `${section}.${key}` };
}

function blame(
  file: AppliedDefaults['file'],
  origin: Origin,
  message: string,
  hint?: string | null,
  index?: number,
): HoldfastError {
  return problemError(
    { ...locate(origin.file ?? file, origin.section, origin.key, index), message },
    hint ??
      origin.hint ??
      `fix it there (holdfast config check), or give --${origin.key} on the command line`,
  );
}

function originOf(section: DefaultsSection, key: string): Origin {
  return {
    section: section.name,
    key,
    ...(section.file ? { file: section.file } : {}),
    ...(section.hint ? { hint: section.hint } : {}),
  };
}

/** Which defaults mean something for this task: an agent's flags for agents, interactive ones for TUIs. */
function applies(attribute: string, command: Command): boolean {
  const agent = command.getOptionValue('agent') as string | undefined;
  const interactive = command.getOptionValue('interactive') === true;
  if (attribute in AGENT_ONLY_FLAGS && agent === undefined) return false;
  if ((INTERACTIVE_ONLY_FLAGS as readonly string[]).includes(attribute) && !interactive) return false;
  if (
    (ADDITIVE.has(attribute) || attribute === 'rulesFile') &&
    !(interactive && RULE_AGENTS.includes(agent!))
  )
    return false;
  return true;
}

/** An option that takes no value: `--unattended`, `--no-daemon`. */
export function isFlag(option: Option): boolean {
  return option.isBoolean() || option.negate;
}

/** A config value as the option's value, through what commander does with the flag's text. */
function optionValue(
  option: Option,
  raw: ConfigFlagValue,
  fail: (message: string, hint?: string | null) => HoldfastError,
): unknown {
  if (isFlag(option)) {
    if (typeof raw !== 'boolean')
      throw fail(`expected true or false (${option.long} is a flag), got ${JSON.stringify(raw)}`);
    return option.negate ? !raw : raw;
  }
  if (raw === true && option.optional) return option.presetArg ?? true;
  if (typeof raw === 'boolean')
    throw fail(`expected a value, as ${option.flags} takes on the command line, got ${raw}`);
  const items = Array.isArray(raw) ? raw : [raw];
  let value: unknown = option.defaultValue;
  for (const item of items) {
    const text = String(item);
    try {
      if (option.parseArg) value = option.parseArg(text, value);
      else if (option.variadic) value = [...(Array.isArray(value) ? value : []), text];
      else value = text;
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      const choices = error.message.match(/^Allowed choices are (.*)\.$/)?.[1];
      if (choices === undefined) throw fail(error.message);
      throw fail(
        `expected one of ${choices}, got ${JSON.stringify(text)}`,
        didYouMean(text, choices.split(', ')),
      );
    }
    if (items.length > 1 && !Array.isArray(value))
      throw fail(`expected one value (${option.flags} is not repeatable), got a list`);
  }
  return value;
}

/** Unknown keys of a section, and per-task ones, each with its line (and a near flag). */
function keyProblems(
  command: Command,
  file: AppliedDefaults['file'],
  section: DefaultsSection,
): ConfigProblem[] {
  const options = configurableOptions(command, section.own);
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(section.values)) {
    if (options.has(key)) continue;
    const where = locate(section.file ?? file, section.name, key);
    if (key === 'name' && section.own) {
      problems.push({ ...where, message: "a task's name is its key under tasks:" });
    } else if (PER_TASK_OPTIONS.has(key)) {
      problems.push({ ...where, message: `--${key} is given per task; this section cannot set it` });
    } else if (section.name === 'run' || section.strict || section.own) {
      const near = didYouMean(key, [...options.keys()]);
      problems.push({
        ...where,
        message: `not an option of holdfast ${command.name()}${near === null ? '' : `; ${near}`}`,
      });
    }
  }
  return problems;
}

/**
 * Sets, on a parsed command, every option the user did not give from the config sections (the
 * first section that has a key wins; approval rules add up), with the source `config`.
 */
export function applyConfigDefaults(
  command: Command,
  file: AppliedDefaults['file'],
  sections: readonly DefaultsSection[],
): AppliedDefaults {
  for (const section of sections) {
    const problem = keyProblems(command, file, section)[0];
    if (problem !== undefined) throw problemError(problem, section.hint);
  }
  const applied: AppliedDefaults = { file, origins: new Map() };
  const ordered = orderedOptions(
    command,
    sections.some((s) => s.own),
  );
  for (const [key, option, attribute] of ordered) {
    const ownSection = sections.find((s) => s.own && s.values[key] !== undefined);
    if (ownSection === undefined && !applies(attribute, command)) continue;
    const source = command.getOptionValueSource(attribute);
    if (ADDITIVE.has(attribute)) {
      const rules = additiveRules(file, sections, key as Effect);
      if (rules.length === 0) continue;
      const given = source === 'cli' ? (command.getOptionValue(attribute) as string[]) : [];
      command.setOptionValueWithSource(attribute, [...rules, ...given], source === 'cli' ? 'cli' : 'config');
      continue;
    }
    if (source !== undefined && source !== 'default') continue;
    const section = ownSection ?? sections.find((s) => s.values[key] !== undefined);
    if (section === undefined) continue;
    const origin = originOf(section, key);
    const value = optionValue(option, section.values[key]!, (message, hint) =>
      blame(file, origin, message, hint),
    );
    command.setOptionValueWithSource(attribute, value, 'config');
    applied.origins.set(attribute, origin);
  }
  return applied;
}

/** The rules of every section, in order, each checked as the flag checks it (a bad one names its line). */
function additiveRules(
  file: AppliedDefaults['file'],
  sections: readonly DefaultsSection[],
  effect: Effect,
): string[] {
  const rules: string[] = [];
  for (const section of [...sections].reverse()) {
    const raw = section.values[effect];
    if (raw === undefined) continue;
    const items = Array.isArray(raw) ? raw : [raw];
    for (const [index, item] of items.entries()) {
      const rule = typeof item === 'string' ? parseRule(effect, item) : 'a rule is text';
      if (typeof rule === 'string') {
        throw blame(
          file,
          originOf(section, effect),
          rule,
          'a rule is a tool name, or a tool and a pattern: Bash, Bash(npm test*), Edit(src/**)',
          Array.isArray(raw) ? index : undefined,
        );
      }
      rules.push(rule.text);
    }
  }
  return rules;
}

/**
 * An error the command raised about a flag (`--restart: …`) whose value came from the config,
 * said of the config's key and line instead; any other error as it was.
 */
export function blameConfig(error: unknown, command: Command, applied: AppliedDefaults): unknown {
  if (!(error instanceof HoldfastError)) return error;
  const match = /^--([a-z0-9][a-z0-9-]*)(:\s*)?(.*)$/s.exec(error.message);
  if (match === null) return error;
  const option = command.options.find((o) => o.long === `--${match[1]}`);
  const origin = option && applied.origins.get(option.attributeName());
  if (origin === undefined || command.getOptionValueSource(option!.attributeName()) !== 'config')
    return error;
  // "--model is for agent tasks": said of the key, the flag's name kept in the sentence.
  const message = match[2] === undefined ? error.message : match[3]!;
  return blame(applied.file, origin, message, error.hint);
}

/** Problems no schema can see: an `agents:` section for an agent holdfast does not know. */
export function agentKindProblems(file: ConfigFile): ConfigProblem[] {
  return Object.keys(file.config?.agents ?? {})
    .filter((kind) => !(AGENT_KINDS as readonly string[]).includes(kind))
    .map((kind) => {
      const near = didYouMean(kind, AGENT_KINDS);
      return {
        path: file.path,
        line: file.lineOf(['agents', kind]),
        key: `agents.${kind}`,
        message: `not an agent holdfast runs (${AGENT_KINDS.join(', ')})${near === null ? '' : `; ${near}`}`,
      };
    });
}

/** The config file in force, or an `ECONFIG` error naming the first problem's file, line and key. */
export function loadConfigFile(env: Env = process.env): ConfigFile & { config: Config } {
  const file = readConfigFile(env);
  const problem = [...file.problems, ...agentKindProblems(file)][0];
  if (problem !== undefined) throw problemError(problem);
  return file as ConfigFile & { config: Config };
}

type Body<O> = (
  ctx: Context,
  args: string[],
  options: O,
  command: Command,
) => Promise<number | undefined> | number | undefined;

/**
 * Makes a command take the config's defaults (`run:` and the agent's section) for every option the
 * user did not give, before its handler runs (see `action`), with a `--no-<flag>` for each boolean.
 */
export function takesConfigDefaults(command: Command): Command {
  CONFIGURED.add(addNegations(command));
  return command;
}

/** The handler as `action` runs it: for a command that takes config defaults, with them applied. */
export function withConfigDefaults<O extends object>(command: Command, handler: Body<O>): Body<O> {
  if (!CONFIGURED.has(command)) return handler;
  return async (ctx, args) => {
    const file = loadConfigFile();
    const applied = applyConfigDefaults(
      command,
      file,
      sectionsFor(file.config, command.getOptionValue('agent') as string | undefined),
    );
    try {
      return await handler(ctx, args, command.opts() as O, command);
    } catch (error) {
      throw blameConfig(error, command, applied);
    }
  };
}
