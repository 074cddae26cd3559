import { describe, expect, it } from 'vitest';
import { composerHoldsExactly, readComposer } from './composer.js';
import { answerKey, dialogShows, parseKeysAnswer } from './dialog-keys.js';
import { readScreen } from './screen.js';

const rule = '─'.repeat(40);
/** Claude's approval dialog as docs/INTERACTIVE.md §3, §4 quote it (the tool line as the fake draws it). */
const claudeDialog = (call: string) =>
  [
    '❯ an old prompt',
    '',
    rule,
    ` ${call}`,
    '',
    ' Do you want to proceed?',
    '❯ 1. Yes',
    '  2. Yes, and always allow access to /w from this project',
    '  3. Yes, and switch to auto mode',
    '  4. No',
    '',
    ' Esc to cancel · Tab to amend',
  ].join('\n');
const codexDialog = (command: string) =>
  [
    'Would you like to run the following command?',
    '',
    `  $ ${command}`,
    '',
    '› 1. Yes, proceed (y)',
    `  2. Yes, and don't ask again for commands that start with \`${command}\` (p)`,
    '  3. No, and tell Codex what to do differently (esc)',
    '',
    'Press enter to confirm or esc to cancel',
  ].join('\n');
const claudeTrust = [
  rule,
  ' Do you trust the files in this folder?',
  '',
  '  1. Yes, proceed',
  '❯ 2. No, exit',
].join('\n');

describe('answerKey (§1, §4)', () => {
  it("claude's approval: 1 yes, 2 always, Esc no; codex's: y, p, Esc", () => {
    const yes = { behavior: 'allow', always: false } as const;
    const always = { behavior: 'allow', always: true } as const;
    const no = { behavior: 'deny', always: false } as const;
    expect([yes, always, no].map((a) => answerKey('claude', 'permission', a))).toEqual([
      { key: '1' },
      { key: '2' },
      { key: 'Escape' },
    ]);
    expect([yes, always, no].map((a) => answerKey('codex', 'permission', a))).toEqual([
      { key: 'y' },
      { key: 'p' },
      { key: 'Escape' },
    ]);
  });
  it('the trust dialog: 1 accepts (never Enter: claude defaults to "No, exit"); a no is refused, not pressed', () => {
    expect(answerKey('claude', 'trust', { behavior: 'allow', always: false })).toEqual({ key: '1' });
    expect(answerKey('codex', 'trust', { behavior: 'allow', always: true })).toEqual({ key: '1' });
    expect(answerKey('claude', 'trust', { behavior: 'deny', always: false })).toHaveProperty('refused');
    expect(answerKey('claude', 'text', { behavior: 'allow', always: false })).toHaveProperty('refused');
  });
});

describe('dialogShows: the key goes only on the dialog the question was about', () => {
  const bash = { kind: 'permission', tool: 'Bash', input: 'npm install left-pad' } as const;
  it('claude: the same call, named as the hook gave it or as the screen shows it', () => {
    const reading = readScreen('claude', claudeDialog('Bash(npm install left-pad)'));
    expect(dialogShows(bash, reading)).toBe(true);
    expect(dialogShows({ ...bash, input: 'Bash(npm install left-pad)' }, reading)).toBe(true);
  });
  it('claude: another call, the trust dialog, or the composer is the wrong screen', () => {
    expect(dialogShows(bash, readScreen('claude', claudeDialog('Bash(rm -rf build)')))).toBe(false);
    expect(dialogShows(bash, readScreen('claude', claudeTrust))).toBe(false);
    const idle = [rule, '❯\u00a0', rule, '  ? for shortcuts'].join('\n');
    expect(dialogShows(bash, readScreen('claude', idle))).toBe(false);
    expect(dialogShows({ kind: 'trust', tool: null, input: null }, readScreen('claude', claudeTrust))).toBe(
      true,
    );
    expect(
      dialogShows({ kind: 'trust', tool: null, input: null }, readScreen('claude', claudeDialog('Bash(x)'))),
    ).toBe(false);
  });
  it('codex: the command after $', () => {
    expect(dialogShows(bash, readScreen('codex', codexDialog('npm install left-pad')))).toBe(true);
    expect(dialogShows(bash, readScreen('codex', codexDialog('npm publish')))).toBe(false);
  });
});

describe('parseKeysAnswer', () => {
  it('reads back what was recorded; anything else is null', () => {
    const answer = {
      questionId: 'q-1',
      kind: 'permission',
      tool: 'Bash',
      input: 'ls',
      askedAt: 1,
      behavior: 'allow',
      always: false,
      message: null,
      by: 'user',
      key: '1',
    };
    expect(parseKeysAnswer(JSON.stringify(answer))).toEqual(answer);
    expect(parseKeysAnswer('{"questionId":"q"}')).toBeNull();
    expect(parseKeysAnswer('not json')).toBeNull();
  });
});

describe('composerHoldsExactly (§2: the interrupted prompt put back)', () => {
  const claude = (line: string) => [rule, line, rule, '  ? for shortcuts'].join('\n');
  it('the same text only; a longer or a pasted placeholder is not', () => {
    expect(
      composerHoldsExactly(readComposer('claude', claude('❯ forever [[hang]]')), 'forever [[hang]]'),
    ).toBe(true);
    expect(
      composerHoldsExactly(readComposer('claude', claude('❯ forever [[hang]] and')), 'forever [[hang]]'),
    ).toBe(false);
    expect(composerHoldsExactly(readComposer('claude', claude('❯ [Pasted text #1 +1 lines]')), 'a\nb')).toBe(
      false,
    );
    expect(composerHoldsExactly(readComposer('claude', claude('❯\u00a0')), 'x')).toBe(false);
  });
});
