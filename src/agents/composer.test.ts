import { describe, expect, it } from 'vitest';
import { pastedText } from '../core/input.js';
import { composerHolds, readComposer, workingOnScreen } from './composer.js';

const NBSP = '\u00a0';
const rule = '─'.repeat(40);
/** A claude screen as docs/INTERACTIVE.md §3 draws it: history, then the composer between two rules. */
const claude = (composer: string[], footer = '  ? for shortcuts', above: string[] = []) =>
  ['╭───╮', '❯ an old prompt in the history', '', ...above, rule, ...composer, rule, footer].join('\n');
const codex = (composer: string[], above: string[] = []) =>
  [
    '› an old prompt in the history',
    '• Done.',
    '',
    ...above,
    ...composer,
    '',
    '  ? for shortcuts',
    '',
    '',
  ].join('\n');

describe('readComposer: claude (§2, §3)', () => {
  it('empty is ❯ + U+00A0; the prompt in the history above does not count', () => {
    expect(readComposer('claude', claude([`❯${NBSP}`]))).toEqual({ kind: 'empty' });
  });
  it('a draft, one or several lines, and a pasted placeholder', () => {
    expect(readComposer('claude', claude(['❯ half a thought']))).toEqual({
      kind: 'draft',
      lines: ['half a thought'],
    });
    expect(readComposer('claude', claude(['❯ one', '  two']))).toEqual({
      kind: 'draft',
      lines: ['one', 'two'],
    });
    expect(readComposer('claude', claude(['❯ [Pasted text #1 +2 lines]']))).toEqual({
      kind: 'draft',
      lines: ['[Pasted text #1 +2 lines]'],
    });
  });
  it('no composer under an approval dialog (one rule, no prompt box)', () => {
    const dialog = [
      'history',
      rule,
      ' Bash(rm -rf x)',
      '',
      ' Do you want to proceed?',
      '❯ 1. Yes',
      '  4. No',
      '',
      ' Esc to cancel · Tab to amend',
    ];
    expect(readComposer('claude', dialog.join('\n'))).toEqual({ kind: 'none' });
  });
  it('working: the footer says esc to interrupt', () => {
    expect(workingOnScreen(claude([`❯${NBSP}`], '  esc to interrupt', ['✻ Frosting…']))).toBe(true);
    expect(workingOnScreen(claude([`❯${NBSP}`]))).toBe(false);
  });
});

describe('readComposer: codex (§3)', () => {
  it('the placeholder is empty; a draft is what follows ›', () => {
    expect(readComposer('codex', codex(['› Ask Codex to do anything']))).toEqual({ kind: 'empty' });
    expect(readComposer('codex', codex(['› a draft', '  second line']))).toEqual({
      kind: 'draft',
      lines: ['a draft', 'second line'],
    });
  });
  it('the real 0.169.0 footer block: its status line, `← for agents · ? for shortcuts` only while empty, a warnings notice (test/real-agents/interactive.test.ts)', () => {
    const status = '  gpt-5-codex default · /tmp/hf-rt-codex-z3qWOc/work';
    const warnings = `${' '.repeat(150)}⚠ 3 warnings · f2 to view`;
    const real = (composer: string[], footer: string[]) =>
      ['› an old prompt in the history', '', ...composer, '', ...footer].join('\n');
    expect(
      readComposer(
        'codex',
        real(['› Ask Codex to do anything'], [status, `  ← for agents · ? for shortcuts${warnings}`]),
      ),
    ).toEqual({ kind: 'empty' });
    expect(
      readComposer(
        'codex',
        real(['› Ask Codex to do anything'], [status, '  ← for agents · ? for shortcuts']),
      ),
    ).toEqual({
      kind: 'empty',
    });
    expect(readComposer('codex', real(['› hello there'], [status, warnings]))).toEqual({
      kind: 'draft',
      lines: ['hello there'],
    });
    expect(readComposer('codex', real(['› hello', '', '  after a blank line'], [status]))).toEqual({
      kind: 'draft',
      lines: ['hello', '', 'after a blank line'],
    });
    // A dialog's footer is no composer's, whatever › lines are above it.
    expect(
      readComposer('codex', real(['› 1. Yes, proceed (y)'], ['Press enter to confirm or esc to cancel'])),
    ).toEqual({
      kind: 'none',
    });
  });
  it('no composer under its approval dialog (the › marks an option, no footer)', () => {
    const dialog = [
      'Would you like to run the following command?',
      '',
      '  $ ls',
      '',
      '› 1. Yes, proceed (y)',
      '',
      'Press enter to confirm or esc to cancel',
    ];
    expect(readComposer('codex', dialog.join('\n'))).toEqual({ kind: 'none' });
  });
  it('working: ◦ Working (2s • esc to interrupt)', () => {
    expect(
      workingOnScreen(codex(['› Ask Codex to do anything'], ['◦ Working (2s • esc to interrupt)'])),
    ).toBe(true);
  });
});

describe('composerHolds', () => {
  it('its own text, wrapped or indented on screen; not a human draft; a claude paste by its line count', () => {
    expect(composerHolds('claude', { kind: 'draft', lines: ['hello wor', 'ld'] }, 'hello world')).toBe(true);
    expect(composerHolds('claude', { kind: 'draft', lines: ['hello world and more'] }, 'hello world')).toBe(
      false,
    );
    expect(composerHolds('claude', { kind: 'draft', lines: ['[Pasted text #3 +2 lines]'] }, 'a\nb\nc')).toBe(
      true,
    );
    expect(composerHolds('claude', { kind: 'draft', lines: ['[Pasted text #3 +1 lines]'] }, 'a\nb\nc')).toBe(
      false,
    );
    expect(composerHolds('codex', { kind: 'empty' }, 'x')).toBe(false);
  });
  it('a text ending in \\ is pasted with a trailing space (§2: else its Enter becomes a newline)', () => {
    expect(pastedText('dir\\')).toBe('dir\\ ');
    expect(pastedText('plain;')).toBe('plain;');
  });
});
