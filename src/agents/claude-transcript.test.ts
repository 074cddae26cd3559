import { describe, expect, it } from 'vitest';
import { promptCarries, transcriptKeeps, userPromptOf } from './claude-transcript.js';

const user = (content: unknown) => JSON.stringify({ type: 'user', message: { role: 'user', content } });

describe("claude's transcript", () => {
  it('reads the prompt of a user line, as a string or text blocks; no prompt in any other line', () => {
    expect(userPromptOf(user('fix the bug'))).toBe('fix the bug');
    expect(
      userPromptOf(user([{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }])),
    ).toBe('a\nb');
    expect(
      userPromptOf(user([{ type: 'tool_result', tool_use_id: 't', content: 'fix the bug' }])),
    ).toBeNull();
    expect(
      userPromptOf(
        JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: 'fix the bug' } }),
      ),
    ).toBeNull();
    expect(userPromptOf('{"type":"user","message":{"role":"user","content":"cut sh')).toBeNull();
    expect(userPromptOf('[1,2]')).toBeNull();
  });

  it("carries an input as whole lines: exactly, inside claude's paste wrapper, joined with prompts queued beside it", () => {
    expect(promptCarries('fix the bug', 'fix the bug\n')).toBe(true);
    expect(
      promptCarries(
        '<pasted_content id="2">line one\nline\ttwo</pasted_content id="2">',
        'line one\nline\ttwo',
      ),
    ).toBe(true);
    expect(promptCarries('first\nfix the bug\nthird', 'fix the bug')).toBe(true);
    expect(promptCarries('ends in \\ ', 'ends in \\')).toBe(true);
    expect(promptCarries('fix the bug please', 'fix the bug')).toBe(false);
    expect(promptCarries('please fix the bug', 'fix the bug')).toBe(false);
    expect(promptCarries('anything', '  ')).toBe(false);
  });

  it('keeps an input when any user line past the offset carries it', () => {
    const lines = [
      JSON.stringify({
        type: 'assistant',
        message: { role: 'assistant', content: [{ type: 'text', text: 'go' }] },
      }),
      user('go'),
    ];
    expect(transcriptKeeps(lines, 'go')).toBe(true);
    expect(transcriptKeeps(lines.slice(0, 1), 'go')).toBe(false);
    expect(transcriptKeeps([], 'go')).toBe(false);
  });

  // Lines as claude 2.1.329 wrote them (uuids, timestamps and most bookkeeping keys cut).
  it('keeps a paste as claude 2.1.329 wraps it, and a prompt it took into a running tool turn', () => {
    const pasted = JSON.stringify({
      type: 'user',
      message: {
        role: 'user',
        content: '\n\n<pasted_content id="7d76">\nline one\n    tabbed\n</pasted_content id="7d76">\n',
      },
      promptSource: 'typed',
    });
    expect(transcriptKeeps([pasted], 'line one\n\ttabbed')).toBe(true);
    const enqueued = JSON.stringify({ type: 'queue-operation', operation: 'enqueue', content: 'while busy' });
    const removed = JSON.stringify({
      type: 'queue-operation',
      operation: 'remove',
      content: 'while busy',
      reason: 'absorbed_mid_turn',
    });
    const absorbed = JSON.stringify({
      parentUuid: 'p',
      attachment: { type: 'queued_command', prompt: 'while busy', commandMode: 'prompt', humanTurn: true },
      type: 'attachment',
      renderedRole: 'system',
    });
    // Queued is not kept: only the attachment is in the conversation a resumed session has.
    expect(transcriptKeeps([enqueued, removed], 'while busy')).toBe(false);
    expect(transcriptKeeps([enqueued, removed, absorbed], 'while busy')).toBe(true);
    expect(
      userPromptOf(
        JSON.stringify({ type: 'attachment', attachment: { type: 'queued_command', prompt: [1] } }),
      ),
    ).toBeNull();
  });
});
