/**
 * The program an interactive agent's hooks run (claude's `--settings` hooks, codex's `hooks.json`)
 * and codex's `notify`:
 *
 *   node dist/hook/main.js <home> <task> <task-id> <claude|codex>           payload on stdin (hooks)
 *   node dist/hook/main.js <home> <task> <task-id> codex <json>             notify's one argument
 *
 * It appends one `signals.jsonl` line (agents/signals.ts; claude's `UserPromptSubmit` with its
 * transcript's size, where the deliverer looks for the prompt's user line) and a `_kick` line to `pane-events.log`,
 * so the daemon hears of it within milliseconds and, being down, reads it when it is back. It
 * prints nothing except a `PermissionRequest`'s answer: claude adds a `UserPromptSubmit` hook's
 * output to the model's context. Whatever goes wrong, it exits 0 without output, so a broken or
 * removed task never blocks the agent (and an unanswered dialog is drawn, never allowed).
 *
 * A `PermissionRequest` no rule answers, while a daemon runs, gives two lines with one
 * `questionId`: the question (no decision) as the hook starts to wait, then the user's decision.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type SignalLine, signalLineSchema } from '../agents/signals.js';
import { appendExisting } from '../fs-safe.js';
import { makePaths } from '../paths.js';
import { answerPermission, denyBeforeUse } from './permission.js';

async function main(argv: string[]): Promise<void> {
  const [home, task, id, agentArg, notifyJson] = argv;
  if (!home || !task || !id || !/^\d+$/.test(id) || (agentArg !== 'claude' && agentArg !== 'codex')) return;
  const agent: SignalLine['agent'] = agentArg;
  const paths = makePaths(home);
  const source = notifyJson === undefined ? 'hook' : 'notify';
  const payload = asRecord(notifyJson ?? readFileSync(0, 'utf8'));
  if (!payload) return;
  const event = String(payload.hook_event_name ?? payload.type ?? 'unknown');
  const append = (extra: Pick<SignalLine, 'questionId' | 'decision' | 'transcriptSize'>): boolean => {
    const line = signalLineSchema.parse({ at: Date.now(), agent, source, event, payload, ...extra });
    if (!appendPatiently(paths.signalsFile(task), `${JSON.stringify(line)}\n`)) return false;
    appendPatiently(paths.eventsFile, `_kick|${id}|||${Date.now()}\n`);
    return true;
  };
  if (event === 'PreToolUse') {
    const denied = denyBeforeUse({ home, task, taskId: Number(id), agent }, payload);
    if (!append(denied ? { decision: denied } : {}) || !denied) return;
    const output = {
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: denied.message,
    };
    process.stdout.write(JSON.stringify({ hookSpecificOutput: output }));
    return;
  }
  if (event === 'UserPromptSubmit' && agent === 'claude') {
    const transcriptSize = sizeOf(payload.transcript_path);
    append(transcriptSize === null ? {} : { transcriptSize });
    return;
  }
  if (event !== 'PermissionRequest') {
    append({});
    return;
  }
  const { decision, questionId } = await answerPermission(
    { home, task, taskId: Number(id), agent },
    payload,
    {
      ask: (questionId) => append({ questionId }),
    },
  );
  // A question given up (the daemon went away) has its asking line already; nothing more to say.
  if (!decision) {
    if (questionId === undefined) append({});
    return;
  }
  if (!append({ ...(questionId ? { questionId } : {}), decision })) return;
  const answer = { behavior: decision.behavior, ...(decision.message ? { message: decision.message } : {}) };
  process.stdout.write(
    JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: answer } }),
  );
}

/** How long a full disk is waited out: the agent waits for its hook meanwhile. */
const FULL_DISK_PATIENCE_MS = 5000;

/**
 * Appends, waiting out a full disk (ENOSPC, tried again every 100 ms) for a while: a lost
 * UserPromptSubmit line leaves an input the agent took unconfirmed, so it would be failed. A retry
 * starts with a newline, so a part written before the disk filled stays a line of its own (one no
 * reader parses) instead of garbling the whole one.
 */
function appendPatiently(path: string, data: string): boolean {
  const deadline = Date.now() + FULL_DISK_PATIENCE_MS;
  let text = data;
  for (;;) {
    try {
      return appendExisting(path, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC' || Date.now() >= deadline) throw error;
      text = `\n${data}`;
      // A synchronous sleep: the question's asking line is appended from a synchronous callback.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

/**
 * The size of the regular file at `path` (the agent's transcript), 0 when there is none yet; null
 * when the payload names no absolute path or something else is there (nothing to look in).
 */
function sizeOf(path: unknown): number | null {
  if (typeof path !== 'string' || !isAbsolute(path)) return null;
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 0 : null;
  }
}

function asRecord(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  () => process.exit(0),
);
