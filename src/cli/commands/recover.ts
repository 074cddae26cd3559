import type { Command } from 'commander';
import type { WorktreeState } from '../../checkpoint/index.js';
import type { MissionDefinition } from '../../mission/mission-file.js';
import { type RecoveryReport, recoveryReport } from '../../supervisor/recover.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { commandText } from '../format.js';
import { plural } from '../plural.js';
import { renderTranscript } from '../transcript.js';

export function register(program: Command): void {
  program
    .command('recover')
    .summary('what a task was doing when it died, its uncommitted changes, checkpoints and how it resumes')
    .argument('<task>', 'task name')
    .option('--json', 'print the report as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        await ctx.refresh();
        const task = ctx.task(name!);
        const report = await recoveryReport(
          ctx.rt,
          task,
          missionNextMilestone(ctx, task.spec.mission),
          (raw) => renderTranscript(task, raw, ctx.rt.now()),
        );
        ctx.out.result(report, () => renderRecovery(report));
        return 0;
      }),
    );
}

/** The milestone a mission's next session works on, for the recovery report. */
export function missionNextMilestone(ctx: Context, mission: string | null): string | null {
  if (mission === null) return null;
  const m = ctx.rt.store.missions.byName(mission);
  if (!m || m.state === 'done') return null;
  return (m.definition as MissionDefinition).milestones[m.active]?.title ?? null;
}

/** The task's own worktree: its branch, how far it went, what is not committed, or that it is gone. */
export function worktreeLine(w: WorktreeState): string {
  const branch =
    w.head === null
      ? `branch ${w.branch} (deleted)`
      : `branch ${w.branch}, ${plural(w.ahead, 'commit')} ahead of ${w.base.slice(0, 12)}` +
        (w.unique > 0 && w.unique < w.ahead ? ` (${w.unique} only there)` : '');
  const tree = w.present
    ? w.dirty === 0
      ? 'nothing uncommitted'
      : `${plural(w.dirty, 'path')} uncommitted`
    : 'its directory is missing';
  return `worktree: ${w.path}, ${branch}; ${tree}`;
}

export function renderRecovery(r: RecoveryReport): string {
  const out: string[] = [`recovery report for ${r.task}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`];
  if (r.lastRun)
    out.push(
      `last run: #${r.lastRun.n} (${r.lastRun.cause}), ${r.lastRun.ended}${r.lastRun.endedAt ? ` at ${r.lastRun.endedAt}` : ''}`,
    );
  if (r.lastAgentMessage)
    out.push(
      'last agent message:',
      ...r.lastAgentMessage
        .split('\n')
        .slice(-10)
        .map((l) => `  > ${l}`),
    );
  else if (r.lastOutput.length > 0) out.push('last output:', ...r.lastOutput.map((l) => `  | ${l}`));
  if (r.worktree) out.push(worktreeLine(r.worktree));
  if (r.workTree) {
    const w = r.workTree;
    out.push(
      `work tree: branch ${w.branch ?? '(detached)'}, ${w.staged} staged, ${w.modified} modified, ${w.untracked} untracked`,
    );
    out.push(...w.lines.slice(0, 10).map((l) => `  ${l}`));
  } else out.push('work tree: not a git work tree');
  if (r.latestCheckpoint) {
    const c = r.changedSinceCheckpoint;
    out.push(
      `latest checkpoint: ${r.latestCheckpoint.id} at ${r.latestCheckpoint.at}` +
        (c ? `; since then ${plural(c.files, 'file')}, +${c.insertions} -${c.deletions}` : ''),
    );
  } else out.push('latest checkpoint: none');
  if (r.sessionId) out.push(`agent session: ${r.sessionId}`);
  out.push(`resumes with: ${commandText(r.resumeCommand)}`);
  if (r.nextMilestone) out.push(`next milestone: ${r.nextMilestone}`);
  return out.join('\n');
}
