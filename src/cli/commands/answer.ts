import type { Command } from 'commander';
import { answerKey, type KeysAnswer } from '../../agents/dialog-keys.js';
import type { AnswerIntent } from '../../core/decide.js';
import { HoldfastError } from '../../core/errors.js';
import { OPEN_INPUT_STATES } from '../../core/input.js';
import type { Question } from '../../core/interactive.js';
import type { TaskRecord } from '../../core/task.js';
import { waitingHooks } from '../../supervisor/answers.js';
import { carryOut, submitIntent } from '../../supervisor/intents.js';
import { Loop } from '../../supervisor/loop.js';
import { sleep } from '../../supervisor/sleep.js';
import { queueKeysAnswer } from '../../supervisor/steps/answer-keys.js';
import { Courier } from '../../supervisor/steps/deliver.js';
import { openQuestion } from '../../supervisor/steps/signals.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { daemonDisabled, ensureDaemon } from '../daemon-client.js';

/** How long `answer` waits for keys on a dialog to be taken (a human typing defers them up to 10 s). */
const KEYS_DEADLINE_MS = 30_000;

/** What each option of the agents' approval dialogs means (INTERACTIVE.md §4), by number. */
const OPTIONS: Record<string, readonly Pick<AnswerIntent, 'behavior' | 'always'>[]> = {
  // 1 Yes, 2 Yes and always, 3 Yes and switch to auto mode (holdfast allows once), 4 No.
  claude: [
    { behavior: 'allow', always: false },
    { behavior: 'allow', always: true },
    { behavior: 'allow', always: false },
    { behavior: 'deny', always: false },
  ],
  // 1 Yes (y), 2 Yes and don't ask again for this prefix (p), 3 No and tell Codex (esc).
  codex: [
    { behavior: 'allow', always: false },
    { behavior: 'allow', always: true },
    { behavior: 'deny', always: false },
  ],
};

/** `yes`, `always`, `no` or an option's number, as an answer for this agent's dialog. */
export function answerOf(agent: string, choice: string, message: string | null): AnswerIntent {
  const options = OPTIONS[agent] ?? OPTIONS.claude!;
  let picked: Pick<AnswerIntent, 'behavior' | 'always'> | undefined;
  if (choice === 'yes') picked = { behavior: 'allow', always: false };
  else if (choice === 'always') picked = { behavior: 'allow', always: true };
  else if (choice === 'no') picked = { behavior: 'deny', always: false };
  else if (/^[1-9]$/.test(choice)) picked = options[Number(choice) - 1];
  if (!picked) {
    throw new HoldfastError(
      'EUSAGE',
      `answer: expected yes, always, no or an option number (1-${options.length}), got ${JSON.stringify(choice)}`,
    );
  }
  if (message !== null && picked.behavior !== 'deny') {
    throw new HoldfastError('EUSAGE', '--message goes with a no: it is what the agent is told instead');
  }
  return { ...picked, message, by: 'user' };
}

export function register(program: Command): void {
  program
    .command('answer')
    .summary("answer an interactive agent's open question (an approval): yes, always, no or an option number")
    .argument('<task>', 'task name')
    .argument('<choice>', 'yes | always | no | <option number>')
    .option('-m, --message <text>', 'with no: what the agent is told instead (e.g. "use pnpm, not npm")')
    .option('--json', 'print the answer as JSON')
    .action(
      action<{ message?: string; json?: boolean }>(async (ctx, args, options) => {
        const [name, choice] = args as [string, string];
        const task = ctx.task(name);
        const agent = task.spec.agent;
        if (!agent?.interactive) {
          throw new HoldfastError(
            'EUSAGE',
            `${task.name} is not an interactive agent task: it asks no questions`,
          );
        }
        const target = questionToAnswer(ctx.rt.paths, task);
        if (target === null) {
          // Checked first for its usage error, as before there was anything to answer.
          answerOf(agent.kind, choice, options.message ?? null);
          throw new HoldfastError('EUSAGE', `${task.name} has no open question to answer`, {
            hint: `holdfast status ${task.name} shows what it is doing`,
          });
        }
        const done = () =>
          `answered ${task.name}: ${choice}${options.message ? ` (${options.message})` : ''}`;
        if (target.via === 'screen') {
          const result = await answerOnScreen(ctx, task, target.question, choice, options.message ?? null);
          ctx.out.result(result, done);
          return 0;
        }
        const answer = answerOf(agent.kind, choice, options.message ?? null);
        const question = target.questionId;
        submitIntent(ctx.rt, task.id, { kind: 'answer', questionId: question, answer });
        const consumed = () => !ctx.rt.store.intents.forTask(task.id).some((i) => i.intent.kind === 'answer');
        await carryOut(ctx.rt, [task.id], consumed, 10_000);
        const result = { name: task.name, questionId: question, ...answer, via: 'hook' as const };
        ctx.out.result(result, done);
        return 0;
      }),
    );
}

type Target = { via: 'hook'; questionId: string } | { via: 'screen'; question: Question };

/**
 * The question to answer: the task's open question when a hook waits on it, else the newest a hook
 * waits on; else the open question, on the screen (no hook waits on it: none could ask holdfast,
 * no daemon running, or the daemon went away while it waited, so the agent drew its dialog).
 */
function questionToAnswer(paths: Parameters<typeof waitingHooks>[0], task: TaskRecord): Target | null {
  const waiting = waitingHooks(paths, task.name);
  const open = openQuestion(task);
  if (open && waiting.some((w) => w.questionId === open.id)) return { via: 'hook', questionId: open.id };
  if (waiting.length > 0) return { via: 'hook', questionId: waiting.at(-1)!.questionId };
  return open ? { via: 'screen', question: open } : null;
}

/** The trust dialog's choices (INTERACTIVE.md §1): 1 trust, 2 exit. */
function trustAnswerOf(choice: string, message: string | null): AnswerIntent {
  if (message !== null) throw new HoldfastError('EUSAGE', '--message goes with a no to an approval');
  if (['yes', 'always', '1'].includes(choice))
    return { behavior: 'allow', always: false, message, by: 'user' };
  if (['no', '2'].includes(choice)) return { behavior: 'deny', always: false, message, by: 'user' };
  throw new HoldfastError(
    'EUSAGE',
    `answer: expected yes or no to the trust dialog, got ${JSON.stringify(choice)}`,
  );
}

/**
 * Keys on the dialog, delivered once by the daemon's courier (or this process's, with no daemon):
 * waits until the dialog took them, or the courier gave up with a reason.
 */
async function answerOnScreen(
  ctx: Context,
  task: TaskRecord,
  question: Question,
  choice: string,
  message: string | null,
) {
  const agent = task.spec.agent!.kind === 'codex' ? 'codex' : 'claude';
  const answer =
    question.kind === 'trust' ? trustAnswerOf(choice, message) : answerOf(agent, choice, message);
  const key = answerKey(agent, question.kind, answer);
  if ('refused' in key) {
    throw new HoldfastError('EUSAGE', `answer: ${key.refused}`, {
      hint: question.kind === 'trust' ? `holdfast stop ${task.name}` : undefined,
    });
  }
  if (question.kind !== 'permission' && question.kind !== 'trust') {
    throw new HoldfastError('EUSAGE', `answer: a ${question.kind} question is not answered by keys`);
  }
  const keys: KeysAnswer = {
    questionId: question.id,
    kind: question.kind,
    tool: question.tool,
    input: question.input,
    askedAt: question.askedAt,
    ...answer,
    key: key.key,
  };
  const input = queueKeysAnswer(ctx.rt, task.id, keys);
  const current = () => ctx.rt.store.inputs.byId(input.id)!;
  const finished = () => !OPEN_INPUT_STATES.has(current().state);
  await ensureDaemon(ctx);
  const deadline = Date.now() + KEYS_DEADLINE_MS;
  if (daemonDisabled()) {
    const courier = new Courier(ctx.rt, { only: new Set([task.id]) });
    const loop = new Loop(ctx.rt, { scope: new Set([task.id]), listMs: 500 });
    while (!finished() && Date.now() < deadline) {
      await loop.pass();
      courier.poke();
      await sleep(50);
    }
    await courier.stop(5000);
  } else {
    while (!finished() && Date.now() < deadline) await sleep(50);
  }
  const end = current();
  if (end.state === 'failed') {
    throw new HoldfastError(
      'EINPUT',
      `the answer to ${task.name}'s question was not delivered: ${end.reason}`,
      {
        hint: `holdfast attach ${task.name} to answer it there`,
      },
    );
  }
  return {
    name: task.name,
    questionId: question.id,
    ...answer,
    via: 'screen' as const,
    input: end.id,
    state: end.state,
  };
}
