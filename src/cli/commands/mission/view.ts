import type { Activity, Question } from '../../../core/interactive.js';
import { isInteractive } from '../../../core/task.js';
import { budgetOver, suggestedRaise } from '../../../mission/budget.js';
import { missionCost, missionUse } from '../../../mission/decide.js';
import { milestoneSlug } from '../../../mission/mission-file.js';
import type { MissionRecord } from '../../../store/missions.js';
import { missionOf } from '../../../supervisor/mission-observe.js';
import type { Context } from '../../context.js';
import { table } from '../../format.js';
import { plural } from '../../plural.js';

/** `mission status --json` (and the JSON of init, start, resume, pause): one mission. */
export interface MissionView {
  name: string;
  title: string;
  state: string;
  reason: string | null;
  phase: string;
  cwd: string;
  agent: string;
  /**
   * An interactive agent's: what its TUI does (`waiting-input` while a question is open: the
   * mission waits for `holdfast answer`, it is not stalled); null for a headless agent.
   */
  activity: Activity | null;
  /** The question it waits on, as `holdfast status <task>` shows it. */
  question: Pick<Question, 'kind' | 'tool' | 'input' | 'options'> | null;
  milestones: {
    n: number;
    title: string;
    slug: string;
    status: string;
    gate: string | null;
    doneAt: string | null;
    doneBy: string | null;
  }[];
  sessions: {
    n: number;
    milestone: string;
    fresh: boolean;
    startedAt: string;
    endedAt: string | null;
    endedHow: string | null;
    gateExit: number | null;
    costUsd: number | null;
  }[];
  checkpoints: number;
  spentMs: number;
  costUsd: number;
  budget: { maxSessions: number | null; maxHours: number | null; maxCostUsd: number | null };
  next: string;
}

export function missionView(ctx: Context, record: MissionRecord): MissionView {
  const rt = ctx.rt;
  const m = missionOf(record);
  const def = m.definition;
  const statuses = rt.store.missions.milestones(record.id);
  const sessions = rt.store.missions.sessions(record.id);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const task = rt.store.tasks.byName(m.name);
  const checkpoints = task ? rt.store.events.count(task.id, 'checkpoint') : 0;
  const active = def.milestones[m.active];
  const over = budgetOver(m.settings, missionUse(m, sessions, rt.now()));
  // A budget that keeps the mission from going on is named with a raise that would do.
  const raise = over ? ` ${over.flag} ${suggestedRaise(over)}` : '';
  const tui = task && isInteractive(task) ? (task.tui ?? null) : null;
  const question = task?.state === 'waiting-input' ? (tui?.question ?? null) : null;
  const activity = tui === null ? null : question ? 'waiting-input' : (tui.activity ?? null);
  const next =
    m.state === 'done'
      ? 'nothing: every milestone is done'
      : m.state === 'paused'
        ? `paused (${m.reason ?? 'no reason'}): holdfast mission resume ${m.name}${raise}`
        : m.state === 'pending'
          ? `holdfast mission start ${m.name}`
          : m.phase === 'gate'
            ? `running the gate of "${active?.title}"`
            : m.phase === 'session' && question
              ? `session ${m.sessions} waits for an answer (${askedText(question)}): holdfast answer ${m.name} yes|always|no`
              : m.phase === 'session'
                ? `session ${m.sessions} is working on "${active?.title}"`
                : `a new session for "${active?.title}"`;
  return {
    name: m.name,
    title: def.title,
    state: m.state,
    reason: m.reason,
    phase: m.phase,
    cwd: m.cwd,
    agent: (record.agent as { kind: string }).kind,
    activity,
    question: question
      ? { kind: question.kind, tool: question.tool, input: question.input, options: question.options }
      : null,
    milestones: def.milestones.map((x, i) => ({
      n: i + 1,
      title: x.title,
      slug: milestoneSlug(x.title),
      status: statuses[i]!.status,
      gate: x.gate ?? def.defaultGate,
      doneAt: iso(statuses[i]!.doneAt),
      doneBy: statuses[i]!.doneBy,
    })),
    sessions: sessions.map((s) => ({
      n: s.n,
      milestone: def.milestones[s.milestone]!.title,
      fresh: s.fresh,
      startedAt: iso(s.startedAt)!,
      endedAt: iso(s.endedAt),
      endedHow: s.endedHow,
      gateExit: s.gateExit,
      costUsd: s.costUsd,
    })),
    checkpoints,
    spentMs: m.startedAt === null ? 0 : (m.state === 'done' ? record.updatedAt : rt.now()) - m.startedAt,
    costUsd: missionCost(sessions),
    budget: {
      maxSessions: m.settings.maxSessions,
      maxHours: m.settings.maxHours,
      maxCostUsd: m.settings.maxCostUsd,
    },
    next,
  };
}

export function renderMission(v: MissionView): string {
  const waiting = v.activity === 'waiting-input' ? ', waiting-input' : '';
  const head = `mission ${v.name} — ${v.title}: ${v.state}${waiting}${v.reason ? ` (${v.reason})` : ''}`;
  const milestones = table(
    ['#', 'MILESTONE', 'STATUS', 'GATE'],
    v.milestones.map((x) => [x.n, x.title, x.status, x.gate ?? '-']),
  );
  const sessions =
    v.sessions.length === 0
      ? 'no sessions yet'
      : table(
          ['SESSION', 'MILESTONE', 'STARTED', 'ENDED HOW', 'COST'],
          v.sessions.map((s) => [
            s.n,
            s.milestone,
            s.startedAt,
            s.endedHow ?? 'working',
            s.costUsd === null ? '-' : `$${s.costUsd.toFixed(2)}`,
          ]),
        );
  const spent = `spent: ${Math.round(v.spentMs / 60_000)} min, $${v.costUsd.toFixed(2)}, ${plural(v.sessions.length, 'session')}, ${plural(v.checkpoints, 'checkpoint')}`;
  return [head, '', milestones, '', sessions, '', spent, `next: ${v.next}`].join('\n');
}

/** `permission: Bash npm install` / `trust`: what the agent asks, on one line. */
function askedText(q: Pick<Question, 'kind' | 'tool' | 'input'>): string {
  return [`${q.kind}:`, q.tool, q.input]
    .filter((x) => x !== null)
    .join(' ')
    .replace(/:$/, '');
}
