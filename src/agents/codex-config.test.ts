import { describe, expect, it } from 'vitest';
import { mergeCodexConfig } from './codex-config.js';

const OURS = [
  'notify = ["node", "hook.js"]',
  '',
  '[notice.model_migrations]',
  '"gpt-5" = "gpt-5.1"',
  '',
  '[projects."/w"]',
  'trust_level = "trusted"',
  '',
].join('\n');

describe('the per-task codex config.toml', () => {
  it('is holdfast’s alone when the user has none', () => {
    expect(mergeCodexConfig(null, OURS)).toBe(OURS);
  });

  it('keeps the user’s settings and tables, holdfast’s keys replacing theirs (a value over several lines with it), top-level keys above every table', () => {
    const user = [
      '# mine',
      'model = "o3"',
      'model_provider = "local"',
      'notify = [',
      '  "my-notifier",',
      '  "--flag",',
      ']',
      '',
      '[model_providers.local]',
      'name = "Local"',
      'base_url = "http://127.0.0.1:9/v1"',
      '',
      '[notice.model_migrations]',
      '"gpt-5" = "gpt-5-mine"',
      '"o1" = "o3"',
      '',
      '[projects."/w"]',
      'trust_level = "untrusted"',
      '',
      '[projects."/other"]',
      'trust_level = "trusted"',
      '',
    ].join('\n');
    expect(mergeCodexConfig(user, OURS).split('\n')).toEqual([
      '# mine',
      'model = "o3"',
      'model_provider = "local"',
      'notify = ["node", "hook.js"]',
      '',
      '[model_providers.local]',
      'name = "Local"',
      'base_url = "http://127.0.0.1:9/v1"',
      '',
      '[notice.model_migrations]',
      '"o1" = "o3"',
      '"gpt-5" = "gpt-5.1"',
      '',
      '[projects."/w"]',
      'trust_level = "trusted"',
      '',
      '[projects."/other"]',
      'trust_level = "trusted"',
      '',
    ]);
  });

  it('leaves a multi-line string and a key named like a table alone', () => {
    const user = ['instructions = """', '[not a table]', 'notify = 1', '"""', 'x = "[y]"', ''].join('\n');
    const merged = mergeCodexConfig(user, 'notify = ["n"]\n');
    expect(merged).toBe(
      ['instructions = """', '[not a table]', 'notify = 1', '"""', 'x = "[y]"', 'notify = ["n"]', ''].join(
        '\n',
      ),
    );
  });
});
