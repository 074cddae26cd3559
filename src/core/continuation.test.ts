import { describe, expect, test } from 'vitest';
import {
  type ContinuationInput,
  cleanTerminalText,
  DIFF_STAT_MAX_LINES,
  GATE_TAIL_LINES,
  LAST_MESSAGE_MAX_CHARS,
  renderContinuationPrompt,
  renderFirstPrompt,
  tailLines,
  truncateMiddle,
} from './continuation.js';

const gateOutput = Array.from({ length: 100 }, (_, i) => `output line ${i + 1}`).join('\n');

function input(overrides: Partial<ContinuationInput> = {}): ContinuationInput {
  return {
    missionTitle: 'Ship the web app',
    context: 'Build a small web app.\nKeep the API stable.',
    milestones: [
      { title: 'Build', body: 'make it', status: 'done', gate: 'npm run build' },
      { title: 'Tests', body: 'cover routes', status: 'active', gate: null },
      { title: 'Docs', body: 'write README', status: 'pending', gate: null },
    ],
    active: { title: 'Tests', body: 'Cover every route in src/routes.', gate: 'npm test' },
    sessionNumber: 3,
    lastSession: {
      endedHow: 'the agent said it finished, but the gate failed (exit 1)',
      lastAgentMessage: 'All routes are covered.\n\nTests pass locally.',
    },
    diffStat: ' src/routes.test.ts | 40 ++++++++\n 1 file changed, 40 insertions(+)\n',
    gateOutputTail: gateOutput,
    gateCommand: 'npm test',
    gateExitCode: 1,
    cwd: '/home/me/web',
    doneCommand: 'holdfast mission done web tests',
    ...overrides,
  };
}

/** The text of the `## heading` section, up to the next `## ` heading. */
function section(prompt: string, heading: string): string | undefined {
  const start = prompt.indexOf(`\n## ${heading}`);
  if (start === -1) return undefined;
  const end = prompt.indexOf('\n## ', start + 1);
  return prompt.slice(start + 1, end === -1 ? undefined : end);
}

describe('renderContinuationPrompt', () => {
  const prompt = renderContinuationPrompt(input());

  test('opens with the mission title, the session number, the active milestone and the work directory', () => {
    expect(prompt.startsWith('# Mission: Ship the web app\n\n')).toBe(true);
    expect(prompt).toContain('This is session 3 on the milestone "Tests" (2 of 3)');
    expect(prompt).toContain('`/home/me/web`');
  });

  test("contains the mission's context verbatim", () => {
    expect(section(prompt, 'Mission context')).toBe(
      '## Mission context\n\nBuild a small web app.\nKeep the API stable.\n',
    );
  });

  test('lists done and pending milestones as a checklist, marking the current one', () => {
    expect(section(prompt, 'Milestones')).toBe(
      '## Milestones (1 of 3 done)\n\n- [x] Build\n- [ ] **Tests** (current)\n- [ ] Docs\n',
    );
  });

  test('shows the active milestone with its body and gate', () => {
    const active = section(prompt, 'Current milestone: Tests');
    expect(active).toContain('Cover every route in src/routes.');
    expect(active).toContain(
      '**Gate:** `npm test`, run in `/home/me/web`. The milestone is done when it exits 0.',
    );
  });

  test("says how the last session ended and quotes the agent's last message", () => {
    expect(section(prompt, 'How the last session ended')).toBe(
      '## How the last session ended\n\nThe agent said it finished, but the gate failed (exit 1)\n\n' +
        '### Its last message\n\n> All routes are covered.\n>\n> Tests pass locally.\n',
    );
  });

  test('puts the diff stat in a fence', () => {
    expect(section(prompt, 'Changes since this milestone started')).toBe(
      '## Changes since this milestone started\n\n`git diff --stat`:\n\n' +
        '```\n src/routes.test.ts | 40 ++++++++\n 1 file changed, 40 insertions(+)\n```\n',
    );
  });

  test(`shows only the last ${GATE_TAIL_LINES} lines of the gate output, in a fence, with the command and exit code`, () => {
    const gate = section(prompt, 'Gate output')!;
    expect(gate).toContain(
      `Last gate run: \`npm test\` exited with 1. Its last ${GATE_TAIL_LINES} of 100 lines:`,
    );
    const fence = gate.slice(gate.indexOf('```\n') + 4, gate.lastIndexOf('\n```'));
    expect(fence.split('\n')).toEqual(
      Array.from({ length: GATE_TAIL_LINES }, (_, i) => `output line ${100 - GATE_TAIL_LINES + i + 1}`),
    );
  });

  test('tells the agent to stay on the active milestone and make the gate pass, without committing', () => {
    const todo = section(prompt, 'What to do now')!;
    expect(todo).toContain('Work on the current milestone "Tests" only.');
    expect(todo).toContain('Make the gate pass: `npm test`.');
    expect(todo).toContain('Pick up where the last session left off');
    expect(todo).toContain('You do not need to commit');
    expect(todo).not.toContain('holdfast mission done');
  });

  test('without a gate, tells the agent to run the done command', () => {
    const text = renderContinuationPrompt(input({ active: { title: 'Tests', body: 'x', gate: null } }));
    expect(section(text, 'Current milestone: Tests')).toContain('**Gate:** none.');
    expect(section(text, 'What to do now')).toContain(
      'When the milestone is complete, mark it done by running `holdfast mission done web tests`, then stop.',
    );
    expect(text).not.toContain('Make the gate pass');
  });

  test('omits the sections whose input is null', () => {
    const text = renderContinuationPrompt(
      input({ lastSession: null, diffStat: null, gateOutputTail: null, gateExitCode: null, context: '  ' }),
    );
    for (const heading of ['How the last session ended', 'Changes since', 'Gate output', 'Mission context']) {
      expect(section(text, heading)).toBeUndefined();
    }
    expect(text).not.toContain('### Its last message');
    expect(section(text, 'What to do now')).toBeDefined();
  });

  test('omits the last message when the agent left none, but keeps how the session ended', () => {
    const text = renderContinuationPrompt(
      input({ lastSession: { endedHow: 'it crashed', lastAgentMessage: null } }),
    );
    expect(section(text, 'How the last session ended')).toBe('## How the last session ended\n\nIt crashed\n');
  });

  test('an empty diff stat says nothing changed; empty gate output says it printed nothing', () => {
    const text = renderContinuationPrompt(input({ diffStat: '', gateOutputTail: '\n', gateExitCode: 2 }));
    expect(section(text, 'Changes since this milestone started')).toContain(
      'shows no changes to tracked files yet',
    );
    expect(section(text, 'Gate output')).toBe(
      '## Gate output\n\nLast gate run: `npm test` exited with 2. It printed nothing.\n',
    );
  });

  test('an unknown exit code and a missing gate command are said so', () => {
    const text = renderContinuationPrompt(
      input({
        gateCommand: null,
        gateExitCode: null,
        gateOutputTail: 'boom',
        active: { title: 'T', body: '', gate: 'make' },
      }),
    );
    expect(section(text, 'Gate output')).toBe(
      '## Gate output\n\nLast gate run: `make` (exit status unknown). Its output:\n\n```\nboom\n```\n',
    );
  });

  test('shortens a long last message in the middle and says so outside the quote', () => {
    const message = `START ${'x'.repeat(LAST_MESSAGE_MAX_CHARS * 2)} END`;
    const text = renderContinuationPrompt(
      input({ lastSession: { endedHow: 'it stopped', lastAgentMessage: message } }),
    );
    const last = section(text, 'How the last session ended')!;
    expect(last).toContain('> START ');
    expect(last).toContain(' END\n');
    expect(last).toMatch(/> \[… \d+ characters left out …\]/);
    expect(last).toMatch(/_holdfast shortened this message: \d+ of its 8010 characters were left out/);
    expect(last.length).toBeLessThan(LAST_MESSAGE_MAX_CHARS + 400);
  });

  test('keeps the head and the summary line of a long diff stat', () => {
    const files = Array.from({ length: 200 }, (_, i) => ` src/f${i}.ts | 1 +`);
    const diffStat = [...files, ' 200 files changed, 200 insertions(+)'].join('\n');
    const diff = section(
      renderContinuationPrompt(input({ diffStat })),
      'Changes since this milestone started',
    )!;
    expect(diff).toContain(' src/f0.ts | 1 +\n');
    expect(diff).not.toContain(' src/f199.ts');
    expect(diff).toContain(' 200 files changed, 200 insertions(+)\n```');
    expect(diff).toContain(`… ${201 - (DIFF_STAT_MAX_LINES - 2) - 1} more lines …`);
  });

  test('a fence stays closed when the output itself contains backticks', () => {
    const text = renderContinuationPrompt(input({ gateOutputTail: 'before\n```\n## injected\n```\nafter' }));
    expect(text).toContain('````\nbefore\n```\n## injected\n```\nafter\n````');
  });

  test('gate output loses ANSI colours and carriage-return overwrites', () => {
    const text = renderContinuationPrompt(
      input({ gateOutputTail: '\x1b[31mFAIL\x1b[0m a.test.ts\r\n50%\r100%\n' }),
    );
    expect(section(text, 'Gate output')).toContain('```\nFAIL a.test.ts\n100%\n```');
  });

  test('is deterministic', () => {
    expect(renderContinuationPrompt(input())).toBe(renderContinuationPrompt(input()));
  });
});

describe('renderFirstPrompt', () => {
  const {
    lastSession: _l,
    diffStat: _d,
    gateOutputTail: _g,
    gateCommand: _c,
    gateExitCode: _e,
    sessionNumber: _s,
    ...first
  } = input();
  const prompt = renderFirstPrompt(first);

  test('has the context, checklist, active milestone and instructions, but no last-session parts', () => {
    expect(prompt).toContain('This session is for the milestone "Tests" (2 of 3)');
    expect(section(prompt, 'Mission context')).toBeDefined();
    expect(section(prompt, 'Milestones (1 of 3 done)')).toBeDefined();
    expect(section(prompt, 'Current milestone: Tests')).toContain('**Gate:** `npm test`');
    expect(section(prompt, 'What to do now')).toContain('Start from the work tree as it is.');
    for (const heading of ['How the last session ended', 'Changes since', 'Gate output']) {
      expect(section(prompt, heading)).toBeUndefined();
    }
    expect(prompt).not.toContain('session 1');
  });

  test('says how to mark the milestone done when it has no gate', () => {
    const text = renderFirstPrompt({ ...first, active: { ...first.active, gate: null } });
    expect(text).toContain('`holdfast mission done web tests`');
  });
});

describe('tailLines', () => {
  test.each([
    ['a\nb\nc\n', 2, 'b\nc'],
    ['a\r\nb\r\nc', 2, 'b\nc'],
    ['a\nb', 5, 'a\nb'],
    ['a\nb', 0, ''],
    ['', 3, ''],
  ])('tailLines(%j, %i) is %j', (text, n, expected) => {
    expect(tailLines(text, n)).toBe(expected);
  });
});

describe('truncateMiddle', () => {
  test('leaves text that fits unchanged', () => {
    expect(truncateMiddle('short', 5)).toBe('short');
  });

  test('cuts the middle, keeps both ends, names how much went, and fits the limit', () => {
    const text = `${'a'.repeat(500)}${'b'.repeat(500)}`;
    const cut = truncateMiddle(text, 200);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.startsWith('aaa')).toBe(true);
    expect(cut.endsWith('bbb')).toBe(true);
    const omitted = Number(/\[… (\d+) characters left out …\]/.exec(cut)![1]);
    expect(cut.replace(/\n\[… \d+ characters left out …\]\n/, '').length + omitted).toBe(1000);
  });

  test('never splits a surrogate pair', () => {
    const cut = truncateMiddle('😀'.repeat(100), 61);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });
});

describe('cleanTerminalText', () => {
  test('removes escapes and control characters but keeps tabs and newlines', () => {
    expect(cleanTerminalText('\x1b[1;32mok\x1b[0m\tdone\x07\n\x1b]0;title\x07next')).toBe('ok\tdone\nnext');
  });
});
