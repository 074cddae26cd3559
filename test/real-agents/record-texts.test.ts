/**
 * Records what the real claude and codex print when their model API refuses (a usage limit, a bad
 * login) and when a resumed conversation does not exist, against a loopback mock of the API as
 * docs/AGENT-CLIS.md ("Pointing a real CLI at a loopback mock") describes. The fake agent prints these
 * recordings (test/fixtures/fake-agent/recorded/<agent>.json) instead of texts written by hand.
 *
 *   npm run record:agent-texts     runs the real CLIs and rewrites the recorded files
 *   npm run test:real-agents       runs them and fails if they no longer print what was recorded
 *
 * Both also check that the fake's reset-time formatting gives the text the real CLI printed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS } from '../../src/agents/registry.js';
import { claudeResetText, codexResetText } from '../fixtures/fake-agent/texts.mjs';
import { CACHE, installAgent, ROOT } from './install.js';
import {
  jsonLines,
  type MockReply,
  normalise,
  type RealRun,
  type RunSpec,
  runReal,
  textLines,
  type Volatile,
} from './record.js';

const RECORDING = process.env.HOLDFAST_RECORD_AGENT_TEXTS === '1';
const RECORDED_DIR = join(ROOT, 'test', 'fixtures', 'fake-agent', 'recorded');
const TIME_ZONE = 'UTC';
const PROMPT = 'Say hi.';

interface RecordedCase {
  how: string;
  argv: string[];
  exitCode: number | null;
  /** stdout lines after the CLI's start-up lines (claude's system/init; codex's thread/turn start). */
  stdout: unknown[];
  stderr: string[];
}
interface ResetExample {
  now: number;
  resetAt: number;
  timeZone: string;
  text: string;
}
interface RecordedFile {
  agent: string;
  package: string;
  source: string;
  recordedAt: string;
  cases: Record<string, RecordedCase>;
  resetTexts: ResetExample[];
}

function recordedPath(agent: string): string {
  return join(RECORDED_DIR, `${agent}.json`);
}
function committed(agent: string): RecordedFile | null {
  try {
    return JSON.parse(readFileSync(recordedPath(agent), 'utf8')) as RecordedFile;
  } catch {
    return null;
  }
}

/** Scratch homes live in the cache (not /tmp: codex refuses its helper links under a temp dir). */
let scratch = '';
beforeAll(() => {
  mkdirSync(CACHE, { recursive: true });
  scratch = mkdtempSync(join(CACHE, 'record-'));
});
afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

function describeRun(run: RealRun): string {
  return `\`${run.command}\` exited ${run.code ?? run.signal}\n--- stdout\n${run.stdout.slice(0, 4000)}\n--- stderr\n${run.stderr.slice(0, 4000)}`;
}

/** Runs one case; a request made where none was expected fails it. */
async function real(spec: RunSpec): Promise<RealRun> {
  const run = await runReal(spec);
  if (spec.reply === null) expect(run.requests, describeRun(run)).toEqual([]);
  else expect(run.requests.length, describeRun(run)).toBeGreaterThan(0);
  return run;
}

/** The reset a minute-resolution CLI prints exactly: a whole minute, `minutes` from now. */
function resetIn(minutes: number): number {
  return Math.floor(Date.now() / 60_000) * 60 + minutes * 60;
}

function finish(agent: string, cases: Record<string, RecordedCase>, resetTexts: ResetExample[]): void {
  const adapter = AGENTS[agent as 'claude' | 'codex'];
  const file: RecordedFile = {
    agent,
    package: adapter.npmPackage,
    source: `recorded: ${adapter.npmPackage} against a loopback mock of its model API, by test/real-agents/record-texts.test.ts (npm run record:agent-texts)`,
    recordedAt: new Date().toISOString(),
    cases,
    resetTexts,
  };
  if (RECORDING) {
    mkdirSync(RECORDED_DIR, { recursive: true });
    writeFileSync(recordedPath(agent), `${JSON.stringify(file, null, 2)}\n`);
    return;
  }
  const old = committed(agent);
  expect(old, `${recordedPath(agent)} is missing: run npm run record:agent-texts`).not.toBeNull();
  expect(
    cases,
    `${adapter.npmPackage} no longer prints what ${recordedPath(agent)} recorded: run npm run record:agent-texts and review the diff`,
  ).toEqual(old!.cases);
}

/** Keeps a case: its stdout after the start-up lines, normalised (record.ts `normalise`). */
function caseOf(how: string, run: RealRun, argv: string[], v: Volatile, startUp: (line: unknown) => boolean) {
  return {
    how,
    argv: argv.map((a) => (a === v.sessionId ? '{{sessionId}}' : a)),
    exitCode: run.code,
    stdout: jsonLines(run.stdout)
      .filter((l) => !startUp(l))
      .map((l) => normalise(l, v)),
    stderr: textLines(run.stderr).map((l) => normalise(l, v) as string),
  };
}

describe('claude', () => {
  const adapter = AGENTS.claude;
  let bin = '';
  let home = '';
  let work = '';
  beforeAll(async () => {
    const install = await installAgent(adapter.npmPackage, adapter.binary);
    if (!install.ok) throw new Error(install.error);
    bin = install.bin;
    home = join(scratch, 'claude-home');
    work = join(scratch, 'claude-work');
    mkdirSync(home, { recursive: true });
    mkdirSync(work, { recursive: true });
  });

  /** A subscription login (docs/AGENT-CLIS.md: with an OAuth token a 429 is a usage limit, not retried). */
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '',
    TZ: TIME_ZONE,
    ANTHROPIC_BASE_URL: '{{url}}',
    CLAUDE_CODE_OAUTH_TOKEN: 'holdfast-mock-token',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    NO_COLOR: '1',
  };
  const run = (reply: MockReply | null, args: string[]) =>
    real({ reply, bin, args, env: { ...env, HOME: home }, cwd: work, stdin: PROMPT });
  const base = ['-p', '--output-format', 'stream-json', '--verbose'];
  const limitReply = (reset: number): MockReply => ({
    status: 429,
    headers: {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      'anthropic-ratelimit-unified-reset': String(reset),
      'request-id': 'req_holdfast_mock',
    },
    body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } },
  });
  const init = (l: unknown) => (l as { subtype?: string }).subtype === 'init';
  /** The reset time in the text of the result line: `You've hit your 5-hour limit · resets <this>`. */
  const resetOf = (r: RealRun) => {
    const result = jsonLines(r.stdout).at(-1) as { result?: unknown } | undefined;
    return typeof result?.result === 'string' ? /resets (.+)$/.exec(result.result)?.[1] : undefined;
  };

  it('records the usage limit, the failed login and the missing conversation', async () => {
    const cases: Record<string, RecordedCase> = {};
    const resetTexts: ResetExample[] = [];

    // A five-hour limit that resets later today, and one more than a day away (printed with a date).
    for (const minutes of [197, 2 * 24 * 60 + 17]) {
      const id = randomUUID();
      const reset = resetIn(minutes) + 23;
      const argv = [...base, '--session-id', id];
      const now = Date.now();
      const limited = await run(limitReply(reset), argv);
      const text = resetOf(limited);
      expect(text, describeRun(limited)).toBeTruthy();
      resetTexts.push({ now, resetAt: reset, timeZone: TIME_ZONE, text: text! });
      if (cases.usageLimit) continue;
      cases.usageLimit = caseOf(
        '429 with anthropic-ratelimit-unified-status: rejected, -representative-claim: five_hour, -reset: <epoch s>',
        limited,
        argv,
        { sessionId: id, resetsAt: reset, resetText: text! },
        init,
      );
      // The same id again: the limited run wrote its transcript.
      cases.sessionInUse = caseOf(
        '--session-id of the session the limited run created (no request is made)',
        await run(null, argv),
        argv,
        { sessionId: id },
        init,
      );
    }

    const authId = randomUUID();
    const authArgv = [...base, '--session-id', authId];
    const authReply: MockReply = {
      status: 401,
      headers: { 'request-id': 'req_holdfast_mock' },
      body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    };
    cases.auth = caseOf(
      '401 authentication_error "invalid x-api-key" to a subscription (OAuth) login',
      await run(authReply, authArgv),
      authArgv,
      { sessionId: authId },
      init,
    );

    const lostId = randomUUID();
    const lostArgv = [...base, '--resume', lostId];
    cases.conversationMissing = caseOf(
      '--resume of an id that has no transcript (no request is made)',
      await run(null, lostArgv),
      lostArgv,
      { sessionId: lostId },
      init,
    );

    finish('claude', cases, resetTexts);
    for (const ex of resetTexts) {
      expect(claudeResetText(ex.resetAt, ex.now, ex.timeZone), JSON.stringify(ex)).toBe(ex.text);
    }
  });
});

describe('codex', () => {
  const adapter = AGENTS.codex;
  let bin = '';
  let work = '';
  beforeAll(async () => {
    const install = await installAgent(adapter.npmPackage, adapter.binary);
    if (!install.ok) throw new Error(install.error);
    bin = install.bin;
    work = join(scratch, 'codex-work');
    mkdirSync(work, { recursive: true });
  });

  /** Each run a fresh CODEX_HOME whose model provider is the mock (docs/AGENT-CLIS.md, "Codex"). */
  const run = (reply: MockReply | null, args: string[]) => {
    const home = mkdtempSync(join(scratch, 'codex-home-'));
    const config = [
      'model_provider = "mock"',
      'model = "gpt-5-codex"',
      'check_for_update_on_startup = false',
      '[model_providers.mock]',
      'name = "mock"',
      'base_url = "{{url}}/v1"',
      'wire_api = "responses"',
      'env_key = "HOLDFAST_MOCK_API_KEY"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n');
    return real({
      reply,
      bin,
      args,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        CODEX_HOME: join(home, 'codex'),
        HOLDFAST_MOCK_API_KEY: 'holdfast-mock-key',
        TZ: TIME_ZONE,
        NO_COLOR: '1',
      },
      cwd: work,
      stdin: PROMPT,
      files: { [join(home, 'codex', 'config.toml')]: config },
    });
  };
  const fresh = ['exec', '--json', '--skip-git-repo-check', '-'];
  /** The lines up to `turn.started`, and the mock's own artefact: it serves no model metadata. */
  const startUp = (line: unknown) => {
    const l = line as { type?: string; item?: { type?: string; message?: string } };
    return (
      l.type === 'thread.started' ||
      l.type === 'turn.started' ||
      (l.type === 'item.completed' &&
        l.item?.type === 'error' &&
        /^Model metadata for .* not found/.test(l.item.message ?? ''))
    );
  };
  const threadOf = (r: RealRun) =>
    (
      jsonLines(r.stdout).find((l) => (l as { type?: string }).type === 'thread.started') as
        | { thread_id?: string }
        | undefined
    )?.thread_id ?? '(none)';
  /** The reset time in the error line: `… or try again at <this>.` */
  const resetOf = (r: RealRun) => {
    const error = jsonLines(r.stdout).find((l) => (l as { type?: string }).type === 'error') as
      | { message?: string }
      | undefined;
    return /try again at (.+)\.$/.exec(error?.message ?? '')?.[1];
  };

  it('records the usage limit, the failed login and the missing thread', async () => {
    const cases: Record<string, RecordedCase> = {};
    const resetTexts: ResetExample[] = [];

    // Resets later today, and on another day (printed with the date).
    for (const minutes of [131, 2 * 24 * 60 + 17]) {
      const reset = resetIn(minutes) + 23;
      const now = Date.now();
      const limited = await run(
        {
          status: 429,
          headers: {},
          body: { error: { type: 'usage_limit_reached', plan_type: 'plus', resets_at: reset } },
        },
        fresh,
      );
      const text = resetOf(limited);
      expect(text, describeRun(limited)).toBeTruthy();
      resetTexts.push({ now, resetAt: reset, timeZone: TIME_ZONE, text: text! });
      if (cases.usageLimit) continue;
      cases.usageLimit = caseOf(
        '429 with body {"error":{"type":"usage_limit_reached","plan_type":"plus","resets_at":<epoch s>}}',
        limited,
        fresh,
        { sessionId: threadOf(limited), resetsAt: reset, resetText: text! },
        startUp,
      );
    }

    const auth = await run(
      {
        status: 401,
        headers: {},
        body: {
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
      },
      fresh,
    );
    cases.auth = caseOf(
      '401 invalid_api_key to an API-key provider',
      auth,
      fresh,
      { sessionId: threadOf(auth), mockUrl: auth.url },
      startUp,
    );

    const lostId = '01a230f1-0000-7000-8000-000000000000';
    const lostArgv = ['exec', 'resume', '--json', '--skip-git-repo-check', lostId, '-'];
    cases.conversationMissing = caseOf(
      'exec resume of a thread id that has no rollout (no request is made)',
      await run(null, lostArgv),
      lostArgv,
      { sessionId: lostId },
      startUp,
    );

    finish('codex', cases, resetTexts);
    for (const ex of resetTexts) {
      expect(codexResetText(ex.resetAt, ex.now, ex.timeZone), JSON.stringify(ex)).toBe(ex.text);
    }
  });
});
