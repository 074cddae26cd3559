import type { Command } from 'commander';
import { nameFromCommand, uniqueName } from '../../core/names.js';
import { action } from '../action.js';
import { addInitOptions, type InitOptions, initMission } from './mission/init.js';
import { startMission } from './mission/start.js';

export function register(program: Command): void {
  addInitOptions(
    program
      .command('build')
      .summary('a one-milestone mission in the current directory, started at once')
      .argument('<idea>', 'what to build, in words'),
  )
    .option('-n, --name <name>', 'mission name (default: from the idea)')
    .option('--no-daemon', 'do not start the supervisor daemon (this command takes the first step itself)')
    .action(
      action<InitOptions & { name?: string; daemon?: boolean }>(async (ctx, [idea], options) => {
        const rt = ctx.rt;
        const base =
          options.name ?? `build-${nameFromCommand((idea ?? '').split(/\s+/).slice(0, 4)).slice(0, 40)}`;
        const name =
          options.name ??
          uniqueName(base, (n) => rt.store.missions.byName(n) !== null || rt.store.tasks.nameTaken(n));
        const m = await initMission(ctx, name, options, {
          title: idea!.split('\n')[0]!.slice(0, 80),
          context: idea!,
          defaultGate: options.gate ?? null,
          milestones: [{ title: 'Build it', body: idea!, gate: options.gate ?? null, line: null }],
        });
        if (!options.unattended) {
          // Said before any paid session starts: headless, nobody can approve a tool call.
          ctx.out.warn(
            'without --unattended the agent cannot run tools that need approval (commands, file edits): nobody can approve them in a headless run, and the mission pauses at the first denial',
            'pass --unattended to let the agent act without asking',
          );
        }
        await startMission(ctx, m, 'start', {}, options);
        ctx.out.write(
          `mission ${name} started; watch it: holdfast mission status ${name}, holdfast follow ${name}`,
        );
        return 0;
      }),
    );
}
