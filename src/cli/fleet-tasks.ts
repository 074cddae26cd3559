/**
 * holdfast.yaml's entries as `run` (and `mission init`) would take them: each entry's keys are
 * applied to a fresh copy of the command's options through exactly what commander does with the
 * flag's text, over the file's `defaults:`, the config's `agents.<kind>:` and `run:` sections, and
 * the command's own validation then runs. An error names the file, the line and the key.
 */
import { Command } from 'commander';
import type { FleetEntry, FleetFile } from '../config/fleet.js';
import { ConfigError, type ConfigProblem, problemError } from '../config/load.js';
import type { ConfigFlagValue } from '../config/schema.js';
import { HoldfastError } from '../core/errors.js';
import type { MissionDefinition } from '../mission/mission-file.js';
import { resolveProgram } from '../supervisor/create.js';
import { readInteractivePrompt } from './agent-options.js';
import { addInitOptions, type InitOptions, readDefinition } from './commands/mission/init.js';
import { planRun, type RunOptions, type RunPlan, register as registerRun } from './commands/run.js';
import {
  applyConfigDefaults,
  blameConfig,
  type DefaultsSection,
  loadConfigFile,
  sectionsFor,
} from './config-defaults.js';

/** A task as the file declares it: what `run` would have made of the same flags. */
export interface DeclaredTask {
  name: string;
  plan: RunPlan;
  /** An agent's prompt (`prompt:` or `prompt-file:`); null for a command. */
  prompt: string | null;
  /** The entry's line, for what is said of the task as a whole. */
  line: number | null;
}

const FILE_HINT = 'fix the file, then check it with: holdfast up --dry-run';
const fileProblem = (problem: ConfigProblem, hint: string = FILE_HINT) => problemError(problem, hint);

/** Keys of a task entry that are not `run` options: the command, and an agent's own arguments. */
const ENTRY_KEYS = ['command', 'args'] as const;

export function declaredTasks(
  file: FleetFile,
  userUmask: number,
  env: NodeJS.ProcessEnv = process.env,
): DeclaredTask[] {
  const config = loadConfigFile(env);
  return file.tasks.map((entry) => declaredTask(file, config, entry, userUmask));
}

function declaredTask(
  file: FleetFile,
  config: ReturnType<typeof loadConfigFile>,
  entry: FleetEntry,
  userUmask: number,
): DeclaredTask {
  const section = `tasks.${entry.name}`;
  const at = (key?: string) => ({
    path: file.path,
    line: file.lineOf(key === undefined ? ['tasks', entry.name] : ['tasks', entry.name, key]),
    key: key === undefined ? section : `${section}.${key}`,
  });
  const { command: commandValue, args: argsValue, ...values } = entry.values;
  for (const key of ENTRY_KEYS) {
    if (file.defaults[key] === undefined) continue;
    throw fileProblem({
      path: file.path,
      line: file.lineOf(['defaults', key]),
      key: `defaults.${key}`,
      message: `${key} is given per task; defaults cannot set it`,
    });
  }
  const defaults = file.defaults;
  const kind = values.agent ?? defaults.agent;
  const run = freshRunCommand();
  const sections: DefaultsSection[] = [
    { name: section, values, own: true, hint: FILE_HINT },
    { name: 'defaults', values: defaults, strict: true, hint: FILE_HINT },
    ...sectionsFor(config.config, typeof kind === 'string' ? kind : undefined).map((s) => ({
      ...s,
      file: config,
    })),
  ];
  const applied = applyConfigDefaults(run, file, sections);
  // A copy: the same command is reset for the next entry.
  const options = { ...run.opts() } as RunOptions;
  const argv = words(commandValue, () =>
    fileProblem({ ...at('command'), message: 'a command is a list or a line of words' }),
  );
  const extra = words(argsValue, () => fileProblem({ ...at('args'), message: 'args is a list of words' }));
  if (options.agent === undefined && argsValue !== undefined)
    throw fileProblem({
      ...at('args'),
      message: "args are an agent's own arguments; a command task gives command:",
    });
  if (options.agent !== undefined && commandValue !== undefined)
    throw fileProblem({
      ...at('command'),
      message: `an agent task runs ${options.agent}; its own arguments go in args:`,
    });
  if (options.agent === undefined && argv.length === 0)
    throw fileProblem({ ...at(), message: 'no command: give command: or agent:' });
  try {
    const plan = planRun(options.agent === undefined ? argv : extra, options, userUmask);
    const prompt = plan.agent ? promptOf(options, at) : null;
    try {
      resolveOnce(plan.command[0]!, plan.spec.cwd);
    } catch (error) {
      const key = plan.agent ? 'agent' : 'command';
      throw fileProblem(
        { ...at(key), message: (error as Error).message },
        (error as HoldfastError).hint ?? undefined,
      );
    }
    return { name: entry.name, plan, prompt, line: at().line };
  } catch (error) {
    const blamed = blameConfig(error, run, applied);
    throw entryError(
      blamed,
      at(blamed instanceof HoldfastError && blamed.code === 'ENOCWD' ? 'cwd' : undefined),
    );
  }
}

/** One `run` command, not part of the program, and its options' values as commander left them. */
let runTemplate: { command: Command; initial: [string, unknown, string | undefined][] } | null = null;

/**
 * The `run` command with every option back at its default, for the next entry: made once (with
 * its 40 options it is the costly part of an entry) and reset, not made again per task.
 */
function freshRunCommand(): Command {
  if (runTemplate === null) {
    const program = new Command().enablePositionalOptions();
    registerRun(program);
    const command = program.commands[0]!;
    const initial = command.options.map((o): [string, unknown, string | undefined] => {
      const key = o.attributeName();
      return [key, command.getOptionValue(key), command.getOptionValueSource(key)];
    });
    runTemplate = { command, initial };
  }
  const { command, initial } = runTemplate;
  for (const [key, value, source] of initial)
    command.setOptionValueWithSource(key, value, source as 'default');
  return command;
}

/** Programs found on PATH, by program and cwd: 200 tasks of one program look it up once. */
const found = new Set<string>();

function resolveOnce(program: string, cwd: string): void {
  const key = `${program}\0${cwd}`;
  if (found.has(key)) return;
  resolveProgram(program, cwd);
  found.add(key);
}

/** `command: npm run dev` is split at spaces; a list keeps each word as it is. */
function words(value: ConfigFlagValue | undefined, wrong: () => Error): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value.split(/\s+/).filter((w) => w.length > 0);
  if (typeof value === 'number') return [String(value)];
  throw wrong();
}

/** The prompt from `prompt:` or `prompt-file:` (never standard input: `up` declares, it does not ask). */
function promptOf(
  options: RunOptions,
  at: (key?: string) => { path: string; line: number | null; key: string },
): string {
  const prompt = readInteractivePrompt(options);
  if (prompt === null || prompt.trim() === '') {
    throw fileProblem({ ...at(), message: 'an agent task needs prompt: TEXT or prompt-file: FILE' });
  }
  return prompt;
}

/** An error about the task as a whole (not a key the config machinery blamed) said of the entry's line. */
function entryError(error: unknown, where: { path: string; line: number | null; key: string }): unknown {
  if (error instanceof ConfigError || !(error instanceof HoldfastError)) return error;
  const message = error.message.replace(/^--([a-z-]+):\s*/, '$1: ');
  return fileProblem({ ...where, message }, error.hint ?? undefined);
}

/** A mission as the file declares it: what `mission init` would have made of the same flags. */
export interface DeclaredMission {
  name: string;
  options: InitOptions;
  definition: MissionDefinition;
}

/** The file's missions, each entry's keys applied as `mission init`'s flags over their defaults. */
export function declaredMissions(file: FleetFile): DeclaredMission[] {
  return file.missions.map((entry) => {
    const section = `missions.${entry.name}`;
    const init = addInitOptions(new Command('init'));
    const applied = applyConfigDefaults(init, file, [
      { name: section, values: entry.values, own: true, hint: FILE_HINT },
    ]);
    const options = { ...init.opts() } as InitOptions;
    try {
      return { name: entry.name, options, definition: readDefinition(entry.name, options) };
    } catch (error) {
      const blamed = blameConfig(error, init, applied);
      throw entryError(blamed, {
        path: file.path,
        line: file.lineOf(['missions', entry.name]),
        key: section,
      });
    }
  });
}
