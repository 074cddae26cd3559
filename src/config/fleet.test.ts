import { describe, expect, it } from 'vitest';
import { interpolateText, parseFleetFile } from './fleet.js';

describe('holdfast.yaml variables', () => {
  const env = { PORT: '8080', EMPTY: '' };
  const run = (text: string) => {
    const problems: string[] = [];
    return { out: interpolateText(text, env, (m) => problems.push(m)), problems };
  };

  it(`fills in \${VAR}, the defaults of :- and -, and $$ as a dollar, as docker compose does`, () => {
    expect(run(`serve --port \${PORT} \${EMPTY:-x} \${EMPTY-y} \${NOPE:-z} $$HOME $PATH`).out).toBe(
      'serve --port 8080 x  z $HOME $PATH',
    );
  });

  it(`refuses a variable that is not set and has no default, and \${VAR:?why} says why`, () => {
    expect(run(`\${NOPE}`).problems).toEqual([
      `\${NOPE} is not set; set it, or give a default: \${NOPE:-value}`,
    ]);
    expect(run(`\${NOPE:?the API port}`).problems).toEqual([`\${NOPE} is not set: the API port`]);
    expect(run(`\${1BAD}`).problems).toHaveLength(1);
  });
});

describe('holdfast.yaml shape', () => {
  it('makes relative paths absolute against the file, ~ against HOME, and keeps list words as text', () => {
    const file = parseFleetFile(
      [
        'defaults:',
        '  cwd: ~/src',
        'tasks:',
        '  a:',
        '    cwd: app',
        '    command: [sleep, 10]',
        '  b:',
        '',
      ].join('\n'),
      '/work/project/holdfast.yaml',
      { HOME: '/home/u' },
    );
    expect(file.defaults).toEqual({ cwd: '/home/u/src' });
    expect(file.tasks).toEqual([
      { name: 'a', values: { cwd: '/work/project/app', command: ['sleep', '10'] } },
      { name: 'b', values: {} },
    ]);
  });

  it('refuses a task declared twice, at the second one', () => {
    expect(() =>
      parseFleetFile('tasks:\n  a:\n    command: x\n  a:\n    command: y\n', '/p/holdfast.yaml', {}),
    ).toThrow('/p/holdfast.yaml:4: Map keys must be unique');
  });

  it('names the line of an unknown top-level key and of a bad task name', () => {
    expect(() => parseFleetFile('task:\n  a: {}\n', '/p/holdfast.yaml', {})).toThrow(
      '/p/holdfast.yaml:1: task: Unrecognized key: "task"',
    );
    expect(() => parseFleetFile('tasks:\n  ok: {}\n  Bad_Name: {}\n', '/p/holdfast.yaml', {})).toThrow(
      /^\/p\/holdfast\.yaml:3: tasks\.Bad_Name: invalid task name/,
    );
  });
});
