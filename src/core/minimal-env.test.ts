import { describe, expect, it } from 'vitest';
import { minimalEnvironment } from './minimal-env.js';

describe('minimalEnvironment', () => {
  it("keeps the user's place, locale, file locations and holdfast settings, and nothing else", () => {
    const env = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      USER: 'u',
      LOGNAME: 'u',
      SHELL: '/bin/zsh',
      LANG: 'en_GB.UTF-8',
      LANGUAGE: 'en_GB',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      TMPDIR: '/tmp/u',
      XDG_CONFIG_HOME: '/home/u/.config',
      GIT_CONFIG_GLOBAL: '/home/u/.gitconfig-work',
      HOLDFAST_HOME: '/h',
      ANTHROPIC_API_KEY: 'sk-secret',
      AWS_SECRET_ACCESS_KEY: 'secret',
      GIT_ASKPASS: '/usr/bin/askpass',
      SSH_AUTH_SOCK: '/run/agent',
      NODE_OPTIONS: '--require /x.js',
      TERM: 'xterm',
      HOLDFAST_TASK: 'caller',
      HOLDFAST_RUN: '3',
      HOLDFAST_WATCHDOG_CHILD: '1',
      UNSET: undefined,
    };
    expect(minimalEnvironment(env)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      USER: 'u',
      LOGNAME: 'u',
      SHELL: '/bin/zsh',
      LANG: 'en_GB.UTF-8',
      LANGUAGE: 'en_GB',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      TMPDIR: '/tmp/u',
      XDG_CONFIG_HOME: '/home/u/.config',
      GIT_CONFIG_GLOBAL: '/home/u/.gitconfig-work',
      HOLDFAST_HOME: '/h',
    });
  });
});
