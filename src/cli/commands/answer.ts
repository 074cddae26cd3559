import type { Command } from 'commander';
import type { AnswerIntent } from '../../core/decide.js';
import { HoldfastError } from '../../core/errors.js';
import type { TaskRecord } from '../../core/task.js';
import { waitingHooks } from '../../supervisor/answers.js';
import { carryOut, submitIntent } from '../../supervisor/intents.js';
import { openQuestion } from '../../supervisor/steps/signals.js';
import { action } from '../action.js';

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
        const answer = answerOf(agent.kind, choice, options.message ?? null);
        const question = questionToAnswer(ctx.rt.paths, task);
        if (question === null) {
          throw new HoldfastError('EUSAGE', `${task.name} has no open question to answer`, {
            hint: `holdfast status ${task.name} shows what it is doing`,
          });
        }
        submitIntent(ctx.rt, task.id, { kind: 'answer', questionId: question, answer });
        const consumed = () => !ctx.rt.store.intents.forTask(task.id).some((i) => i.intent.kind === 'answer');
        await carryOut(ctx.rt, [task.id], consumed, 10_000);
        const result = { name: task.name, questionId: question, ...answer };
        ctx.out.result(
          result,
          () => `answered ${task.name}: ${choice}${answer.message ? ` (${answer.message})` : ''}`,
        );
        return 0;
      }),
    );
}

/** The question to answer: the task's open question when a hook waits on it, else the newest a hook waits on. */
function questionToAnswer(paths: Parameters<typeof waitingHooks>[0], task: TaskRecord): string | null {
  const waiting = waitingHooks(paths, task.name);
  const open = openQuestion(task);
  if (open && waiting.some((w) => w.questionId === open.id)) return open.id;
  if (waiting.length > 0) return waiting.at(-1)!.questionId;
  if (open?.via === 'screen') {
    // The keys path (INTERACTIVE.md §4: claude 1/2/Esc, codex y/p/Esc) is not built yet.
    throw new HoldfastError(
      'ESTATE',
      `${task.name}'s question is on its screen only (no hook waits on it): answer it there`,
      { hint: `holdfast attach ${task.name}` },
    );
  }
  return null;
}
