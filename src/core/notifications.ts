/**
 * Which notifications a decision makes, from what it journaled: one table row per journal kind that
 * tells the user something, so a new notification is a new row. Pure; `store/apply.ts` and the
 * mission apply write what this returns to the outbox in the transaction of the decision itself.
 *
 * Once per episode: each notification carries a key (task, run, event, and within the run the
 * episode when a run can have several), and the outbox's UNIQUE key makes a second one with the same
 * key a no-op. What an episode is, per event:
 * - `failed`, `succeeded`, `stalled`, `start-failed`: the run (a stall that resumes and stalls
 *   again in the same run is one episode; the next run's stall is another).
 * - `needs-input`: the question (its id) for an interactive agent; the run for a headless agent
 *   that ended waiting for input. A dialog read from the screen gets a new id each time it is seen
 *   anew, so one asked again in the same run with the same kind, tool and input within
 *   `SCREEN_FLAP_MS` of the last notified one is that one (the screen lost it for a moment).
 * - `crash-loop`: from entering the breaker until it resets (a run stays up `--healthy-after`,
 *   journaled `crash-loop-left`); the decider journals `crash-loop-entered` once per such episode,
 *   and the key names the run that tripped it.
 * - `rate-limited` / `resumed` of a run that ended on the limit (a headless agent): the limit
 *   episode, named by the run the limit first stopped (`supervision.limitSince`): the limit-reset
 *   runs it stops again are the same episode, so retries with no reset time notify once; it ends
 *   (`resumed`, journaled `limit-lifted`) when a run gets past the limit: it ends another way or
 *   stays up `--healthy-after`. The next limit is a new episode.
 * - `rate-limited` / `resumed` of a live TUI: the run and the reset time the limit stated
 *   (`unknown` when it stated none), so a TUI whose limit banner flickers in and out notifies
 *   once; a new limit (a new reset time, or a new run) is a new episode.
 * - `milestone-done`: the milestone; `mission-done`: the mission; `mission-paused`: the pause
 *   since the mission last started or resumed (the caller names that start).
 */
import type { MissionEvent, TaskEvent } from './events.js';
import type { NotifyEvent } from './notify.js';
import type { TaskRecord } from './task.js';

/** One notification as the outbox stores it and every sink receives it (`body` is the JSON sent). */
export interface NotificationDraft {
  key: string;
  event: NotifyEvent;
  taskId: number | null;
  runId: number | null;
  body: NotificationBody;
}

/** The JSON a sink receives (README "Notifications"); fields are only ever added. */
export interface NotificationBody {
  /** The idempotency key, also sent as `X-Holdfast-Delivery`. */
  key: string;
  event: NotifyEvent;
  /** The task's name, or `mission:<name>`. */
  task: string;
  /** The task's state after the change (a mission's for mission events). */
  state: string;
  /** The run's number (`run-<n>.log`), null for mission events and entries with no run. */
  run: number | null;
  /** ISO-8601. */
  at: string;
  /** One line for people (what slack, discord and desktop show). */
  text: string;
  /** What the event says: times named `…At` as ISO-8601, durations `…Ms` in ms. */
  data: Record<string, unknown>;
}

/** A journal entry of the decision, with the run it is about resolved (id and number). */
export type NotifiedEvent = TaskEvent & { run: { id: number; n: number } | null };

/** A notification of the task already in the outbox (what `SCREEN_FLAP_MS` compares with). */
export interface RecentNotification {
  key: string;
  event: NotifyEvent;
  runId: number | null;
  createdAt: number;
  data: Record<string, unknown>;
}

/** A question on the screen seen again this soon after the same one was notified is the same episode. */
export const SCREEN_FLAP_MS = 2 * 60_000;

interface TaskContext {
  before: TaskRecord;
  /** Null when the decision removed the task. */
  after: TaskRecord | null;
  events: readonly NotifiedEvent[];
  now: number;
  recent: readonly RecentNotification[];
}

interface Rule {
  notify: NotifyEvent;
  /** Null: this entry notifies nothing in this decision. */
  make(
    data: Record<string, unknown>,
    ctx: TaskContext,
    e: NotifiedEvent,
  ): {
    data: Record<string, unknown>;
    text: string;
    episode?: string;
    sameAs?: string;
    /** The run the key names when the episode spans runs (default: the entry's run). */
    keyRun?: number;
  } | null;
}

const name = (ctx: TaskContext) => ctx.before.name;
const runText = (e: NotifiedEvent) => (e.run === null ? '' : ` (run ${e.run.n})`);
const iso = (ms: unknown) =>
  typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : ms;
const limitEpisode = (resetsAt: unknown) => (typeof resetsAt === 'number' ? String(resetsAt) : 'unknown');
/** A headless limit episode is named by the run it began with; a live TUI's by its run and reset time. */
const limitKey = (since: number | null | undefined, resetsAt: unknown) =>
  since == null ? { episode: limitEpisode(resetsAt) } : { keyRun: since };

/** The run's exit, from the `exited` entry of the same decision. */
function exitOf(ctx: TaskContext, e: NotifiedEvent): Record<string, unknown> {
  const exited = ctx.events.find((x) => x.type === 'exited' && x.run?.id === e.run?.id);
  if (exited?.type !== 'exited') return {};
  return { exitCode: exited.data.exitCode, signal: exited.data.signal };
}

/** Journal kind → notification. A kind not here notifies nothing. */
export const TASK_NOTIFICATIONS: Readonly<Partial<Record<TaskEvent['type'], Rule>>> = {
  'question-asked': {
    notify: 'needs-input',
    make: (d, ctx, e) => {
      const q = ctx.after?.tui?.question;
      const options = q && q.id === d.id ? q.options : [];
      const what = d.tool ? `${d.tool}${d.input ? `: ${d.input}` : ''}` : `a ${d.kind} question`;
      const again =
        d.via === 'screen'
          ? ctx.recent.find(
              (r) =>
                r.event === 'needs-input' &&
                r.runId === (e.run?.id ?? null) &&
                ctx.now - r.createdAt <= SCREEN_FLAP_MS &&
                r.data.kind === d.kind &&
                r.data.tool === d.tool &&
                r.data.input === d.input,
            )
          : undefined;
      return {
        ...(again ? { sameAs: again.key } : {}),
        episode: String(d.id),
        data: { questionId: d.id, kind: d.kind, tool: d.tool, input: d.input, options },
        text: `${name(ctx)} needs input: ${what}`,
      };
    },
  },
  'waiting-input': {
    notify: 'needs-input',
    // An interactive agent's question journals both: `question-asked` says what is asked.
    make: (d, ctx, e) =>
      ctx.events.some((x) => x.type === 'question-asked')
        ? null
        : { data: { reason: d.reason }, text: `${name(ctx)} needs input${runText(e)}: ${d.reason}` },
  },
  succeeded: {
    notify: 'succeeded',
    make: (d, ctx, e) => ({
      data: { ...(d.reason ? { reason: d.reason } : {}), ...exitOf(ctx, e) },
      text: `${name(ctx)} succeeded${runText(e)}`,
    }),
  },
  failed: {
    notify: 'failed',
    make: (d, ctx, e) => {
      const reason = (d.reason as string | undefined) ?? ctx.after?.reason ?? null;
      const exit = exitOf(ctx, e);
      const how =
        reason ??
        (exit.signal
          ? `killed by ${String(exit.signal)}`
          : exit.exitCode != null
            ? `exit ${String(exit.exitCode)}`
            : null);
      return {
        data: { reason, ...exit },
        text: `${name(ctx)} failed${runText(e)}${how ? `: ${how}` : ''}`,
      };
    },
  },
  'crash-loop-entered': {
    notify: 'crash-loop',
    make: (d, ctx) => ({
      data: { restarts: d.restarts, windowMs: d.windowMs, nextProbeAt: ctx.after?.nextStartAt ?? null },
      text: `${name(ctx)} is crash-looping: ${String(d.restarts)} restarts in ${Math.round(Number(d.windowMs) / 1000)}s`,
    }),
  },
  'rate-limited': {
    notify: 'rate-limited',
    make: (d, ctx) => ({
      ...limitKey(ctx.after?.supervision.limitSince, d.known ? d.resetsAt : null),
      data: { resetsAt: d.resetsAt, known: d.known, nextStartAt: d.nextStartAt },
      text: `${name(ctx)} hit a usage limit; ${d.known ? 'it resets' : 'trying again'} at ${String(iso(d.resetsAt))}`,
    }),
  },
  'limit-lifted': {
    notify: 'resumed',
    make: (d, ctx) => ({
      ...limitKey(ctx.before.supervision.limitSince, ctx.before.limitResetsAt),
      data: { continuedBy: d.continuedBy },
      text: `${name(ctx)} resumed after its usage limit`,
    }),
  },
  stalled: {
    notify: 'stalled',
    make: (d, ctx, e) => ({
      data: { idleMs: d.idleMs, action: d.action },
      text: `${name(ctx)} stalled${runText(e)}: no output for ${Math.round(Number(d.idleMs) / 1000)}s (${String(d.action)})`,
    }),
  },
  'start-failed': {
    notify: 'start-failed',
    make: (d, ctx, e) => ({
      data: { error: d.error },
      text: `${name(ctx)} could not be started${runText(e)}: ${String(d.error)}`,
    }),
  },
};

/** The notifications a task's decision makes, in journal order, each once per key. */
export function notificationsFor(
  before: TaskRecord,
  after: TaskRecord | null,
  events: readonly NotifiedEvent[],
  now: number,
  recent: readonly RecentNotification[] = [],
): NotificationDraft[] {
  const ctx: TaskContext = { before, after, events, now, recent };
  const out: NotificationDraft[] = [];
  for (const e of events) {
    const rule = TASK_NOTIFICATIONS[e.type];
    const made = rule?.make(e.data as Record<string, unknown>, ctx, e);
    if (!rule || !made) continue;
    const key =
      made.sameAs ??
      keyOf(`task/${before.id}/run/${made.keyRun ?? e.run?.id ?? '-'}/${rule.notify}`, made.episode ?? null);
    if (out.some((n) => n.key === key)) continue;
    out.push({
      key,
      event: rule.notify,
      taskId: before.id,
      runId: e.run?.id ?? null,
      body: {
        key,
        event: rule.notify,
        task: before.name,
        state: after?.state ?? before.state,
        run: e.run?.n ?? null,
        at: new Date(now).toISOString(),
        text: made.text,
        data: isoTimes(made.data),
      },
    });
  }
  return out;
}

export interface MissionContext {
  id: number;
  name: string;
  /** The mission's state after the change. */
  state: string;
  /** The journal id of the mission's latest `mission-started`/`mission-resumed`: a pause's episode. */
  startedBy: number | null;
}

/** The notifications of a mission's journal entries (the mission runner's or a CLI's). */
export function missionNotificationsFor(
  mission: MissionContext,
  events: readonly MissionEvent[],
  now: number,
): NotificationDraft[] {
  const out: NotificationDraft[] = [];
  const task = `mission:${mission.name}`;
  for (const e of events) {
    let made: { event: NotifyEvent; episode: string; data: Record<string, unknown>; text: string } | null =
      null;
    if (e.type === 'milestone-done')
      made = {
        event: 'milestone-done',
        episode: e.data.milestone,
        data: { milestone: e.data.milestone, ...(e.data.by ? { by: e.data.by } : {}) },
        text: `mission ${mission.name}: milestone "${e.data.milestone}" done`,
      };
    else if (e.type === 'mission-done')
      made = {
        event: 'mission-done',
        episode: 'done',
        data: { sessions: e.data.sessions },
        text: `mission ${mission.name} is done (${e.data.sessions} sessions)`,
      };
    else if (e.type === 'mission-paused')
      made = {
        event: 'mission-paused',
        episode: `after-${mission.startedBy ?? 0}`,
        data: { ...e.data },
        text: `mission ${mission.name} paused: ${e.data.reason}`,
      };
    if (made === null) continue;
    const key = keyOf(`mission/${mission.id}/${made.event}`, made.episode);
    if (out.some((n) => n.key === key)) continue;
    out.push({
      key,
      event: made.event,
      taskId: null,
      runId: null,
      body: {
        key,
        event: made.event,
        task,
        state: mission.state,
        run: null,
        at: new Date(now).toISOString(),
        text: made.text,
        data: made.data,
      },
    });
  }
  return out;
}

/** Header-safe: the episode (a question id, a milestone's title) is percent-encoded. */
function keyOf(base: string, episode: string | null): string {
  return episode === null ? base : `${base}/${encodeURIComponent(episode)}`;
}

function isoTimes(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.endsWith('At') ? iso(v) : v]));
}

/** The sample `holdfast notify test` sends. */
export function sampleNotification(now: number): NotificationBody {
  return {
    key: `test/${now}`,
    event: 'failed',
    task: 'holdfast-test',
    state: 'failed',
    run: 1,
    at: new Date(now).toISOString(),
    text: 'holdfast-test failed (run 1): this is a test notification from holdfast notify test',
    data: { reason: 'test', exitCode: 1, signal: null },
  };
}
