import { describe, expect, it } from 'vitest';
import { didYouMean, similar } from './suggest.js';

describe('similar', () => {
  it('finds the candidates fewest edits away', () => {
    expect(similar('biulder', ['builder', 'web', 'api'])).toEqual(['builder']);
    expect(similar('claud', ['claude', 'codex', 'amp'])).toEqual(['claude']);
    expect(similar('wbe', ['web', 'wbs', 'api'])).toEqual(['wbs', 'web']);
  });

  it('finds nothing far away, nothing of one letter, and never the word itself', () => {
    expect(similar('zzzzzzzz', ['builder', 'web'])).toEqual([]);
    expect(similar('bb', ['b'])).toEqual([]);
    expect(similar('web', ['web'])).toEqual([]);
  });
});

describe('didYouMean', () => {
  it('phrases one or several suggestions, or none', () => {
    expect(didYouMean('stauts', ['status', 'stop'])).toBe('did you mean status?');
    expect(didYouMean('wbe', ['web', 'wbs'])).toBe('did you mean one of wbs, web?');
    expect(didYouMean('zzzz', ['web'])).toBeNull();
  });
});
