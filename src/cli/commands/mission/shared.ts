import { HoldfastError } from '../../../core/errors.js';
import { milestoneSlug } from '../../../mission/mission-file.js';
import type { MissionRecord } from '../../../store/missions.js';
import { currentLease } from '../../../supervisor/lease.js';
import { missionOf } from '../../../supervisor/mission-observe.js';
import { advanceMissions } from '../../../supervisor/missions.js';
import type { Context } from '../../context.js';
import { daemonDisabled, ensureDaemon, kickDaemon } from '../../daemon-client.js';

export function mustGet(ctx: Context, name: string): MissionRecord {
  const m = ctx.rt.store.missions.byName(name);
  if (!m)
    throw new HoldfastError('ENOTASK', `no mission named ${JSON.stringify(name)}`, {
      hint: 'holdfast mission status lists them',
    });
  return m;
}

/** A milestone by its slug, its title or its number (1 = first). */
export function findMilestone(m: MissionRecord, which: string): number {
  const def = missionOf(m).definition;
  const byNumber = /^\d+$/.test(which) ? Number(which) - 1 : -1;
  const idx = def.milestones.findIndex(
    (x, i) => i === byNumber || milestoneSlug(x.title) === which || x.title === which,
  );
  if (idx === -1) {
    throw new HoldfastError('EUSAGE', `mission ${m.name} has no milestone ${JSON.stringify(which)}`, {
      hint: `milestones: ${def.milestones.map((x) => milestoneSlug(x.title)).join(', ')}`,
    });
  }
  return idx;
}

/**
 * After the CLI recorded what the user wants: a live daemon is woken to act on it; with none, the
 * daemon's own mission pass runs here once, and a daemon is started if a mission now runs (unless
 * `--no-daemon` or HOLDFAST_NO_DAEMON=1).
 */
export async function wakeMissions(ctx: Context, options: { daemon?: boolean } = {}): Promise<void> {
  const rt = ctx.rt;
  if (currentLease(rt).live) {
    kickDaemon(ctx);
    return;
  }
  await advanceMissions(rt, (line) => ctx.out.warn(line), { waitForStops: true });
  if (options.daemon === false || daemonDisabled()) return;
  if (rt.store.missions.all().some((m) => m.state === 'running')) await ensureDaemon(ctx);
}

/** Waits, a few seconds at most, for a live daemon to have acted on what the CLI recorded. */
export async function waitForDaemon(ctx: Context, acted: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!acted() && Date.now() < deadline && currentLease(ctx.rt).live) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
