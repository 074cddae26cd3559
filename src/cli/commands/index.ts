import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

/**
 * One module of commands: the top-level names (and aliases) it registers, and how to load it. A
 * command's module, with everything it imports (the store, the web server, missions), is loaded only
 * when that command runs: start-up is otherwise spent loading code that is not used (issue 14).
 * A test checks that `names` are exactly what each module registers.
 */
export interface CommandEntry {
  names: readonly string[];
  load(): Promise<CommandModule>;
}

/** Every command, in the order `holdfast --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { names: ['run'], load: () => import('./run.js') },
  { names: ['up'], load: () => import('./up.js') },
  { names: ['down'], load: () => import('./down.js') },
  { names: ['export'], load: () => import('./export.js') },
  { names: ['ls', 'list'], load: () => import('./ls.js') },
  { names: ['status'], load: () => import('./status.js') },
  { names: ['log', 'logs'], load: () => import('./log.js') },
  { names: ['follow', 'tail'], load: () => import('./follow.js') },
  { names: ['attach'], load: () => import('./attach.js') },
  { names: ['answer'], load: () => import('./answer.js') },
  { names: ['send'], load: () => import('./send.js') },
  { names: ['stop'], load: () => import('./stop.js') },
  { names: ['restart'], load: () => import('./restart.js') },
  { names: ['resume'], load: () => import('./resume.js') },
  { names: ['rm', 'remove'], load: () => import('./rm.js') },
  { names: ['killall'], load: () => import('./killall.js') },
  { names: ['events'], load: () => import('./events.js') },
  { names: ['dashboard'], load: () => import('./dashboard.js') },
  { names: ['notify'], load: () => import('./notify.js') },
  { names: ['recover'], load: () => import('./recover.js') },
  { names: ['diff'], load: () => import('./diff.js') },
  { names: ['checkpoint', 'checkpoints', 'restore'], load: () => import('./checkpoint.js') },
  { names: ['mission'], load: () => import('./mission/index.js') },
  { names: ['build'], load: () => import('./build.js') },
  { names: ['config'], load: () => import('./config.js') },
  { names: ['daemon'], load: () => import('./daemon.js') },
  { names: ['startup'], load: () => import('./startup.js') },
  { names: ['doctor'], load: () => import('./doctor.js') },
];

/** The program's own flags that need no command registered. */
const VERSION_FLAGS: ReadonlySet<string> = new Set(['-V', '--version']);

/**
 * The command modules `argv` needs: none for `--version`, the one module of the command named first,
 * else (no command, `--help`, `help`, a word that is no command) every one, so help lists them all
 * and an unknown command gets commander's "did you mean".
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const first = argv[2];
  if (first !== undefined && VERSION_FLAGS.has(first)) return [];
  const entry = first === undefined ? undefined : COMMANDS.find((c) => c.names.includes(first));
  return entry ? [entry] : COMMANDS;
}

/** Loads the modules, all at once, in the given order. */
export function loadCommands(entries: readonly CommandEntry[]): Promise<CommandModule[]> {
  return Promise.all(entries.map((e) => e.load()));
}
