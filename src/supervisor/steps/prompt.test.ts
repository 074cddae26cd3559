import { describe, expect, it } from 'vitest';
import { claudeProjectFolder } from './prompt.js';

describe('claudeProjectFolder', () => {
  it('turns every character but a letter or digit into -, as claude 2.1.329 names the folder', () => {
    // Seen with the real CLI (test/real-agents/worktree.test.ts): `.git` → `-git`, so `--git`.
    expect(claudeProjectFolder('/tmp/hf-rt-worktree-x7MkZz/repo/.git/holdfast-worktrees/wt')).toBe(
      '-tmp-hf-rt-worktree-x7MkZz-repo--git-holdfast-worktrees-wt',
    );
    expect(claudeProjectFolder('/home/me/my_app v2')).toBe('-home-me-my-app-v2');
  });
});
