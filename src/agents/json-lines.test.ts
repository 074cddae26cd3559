import { describe, expect, it } from 'vitest';
import {
  cleanLine,
  contentText,
  describeInput,
  oneLine,
  parseJsonLine,
  plainLineEvents,
} from './json-lines.js';

describe('parseJsonLine', () => {
  it('reads an object, with a trailing carriage return or colour codes around it', () => {
    expect(parseJsonLine('{"type":"a"}\r')).toEqual({ type: 'a' });
    expect(parseJsonLine('\x1b[0m{"type":"a"}\x1b[39m\r\n')).toEqual({ type: 'a' });
  });

  it('gives null for what is not one JSON object', () => {
    expect(parseJsonLine('')).toBeNull();
    expect(parseJsonLine('Reconnecting... waiting for network')).toBeNull();
    expect(parseJsonLine('{"type":')).toBeNull();
    expect(parseJsonLine('[1,2]')).toBeNull();
    expect(parseJsonLine('{} {}')).toBeNull();
  });
});

describe('text helpers', () => {
  it('cleans a terminal line', () => {
    expect(cleanLine('\x1b[31mError: boom\x1b[0m\r')).toBe('Error: boom');
    expect(cleanLine('\x1b]0;title\x07text')).toBe('text');
  });

  it('joins the text parts of a message content', () => {
    expect(contentText('plain')).toBe('plain');
    expect(contentText([{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }])).toBe(
      'a\nb',
    );
    expect(contentText(undefined)).toBe('');
  });

  it('describes a tool input by its most telling field', () => {
    expect(describeInput({ command: 'npm test', description: 'Run tests' })).toBe('npm test');
    expect(describeInput({ file_path: '/w/a.ts', content: 'x' })).toBe('/w/a.ts');
    expect(describeInput({ command: ['bash', '-lc', 'ls'] })).toBe('bash -lc ls');
    expect(describeInput({ a: 1 })).toBe('{"a":1}');
    expect(describeInput(undefined)).toBe('');
  });

  it('puts a text on one clipped line', () => {
    expect(oneLine('a\n  b\tc')).toBe('a b c');
    expect(oneLine('abcdef', 4)).toBe('abc…');
  });
});

describe('plainLineEvents', () => {
  const none = () => [];

  it('reports what the detector finds', () => {
    expect(plainLineEvents('x\r', () => [{ type: 'auth-failed', detail: 'x' }])).toEqual([
      { type: 'auth-failed', detail: 'x' },
    ]);
  });

  it('turns an error-looking line into an error event and ignores the rest', () => {
    expect(plainLineEvents('Error: spawn failed\r', none)).toEqual([
      { type: 'error', message: 'Error: spawn failed' },
    ]);
    expect(plainLineEvents('Reading prompt from stdin...', none)).toEqual([]);
    expect(plainLineEvents('   ', none)).toEqual([]);
  });
});
