import { describe, expect, test } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { effectiveGate, milestoneSlug, missionFromFlags, parseMissionFile } from './mission-file.js';

const GOOD = `<!-- planning notes for people -->

# Ship the web app

Build a small web app in this repo.
Keep the public API stable.

gate: \`npm test\`

## Build

Create the server in src/server.ts.

gate: npm run build

Then wire the routes.

### Details

Sub-headings stay in the body.

## Tests

Cover every route.
GATE: \`\`npm test -- --run\`\`

## Docs ##

Write README.md.
`;

function errorOf(run: () => unknown): HoldfastError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HoldfastError);
    expect((error as HoldfastError).code).toBe('EMISSION');
    return error as HoldfastError;
  }
  throw new Error('expected an EMISSION error');
}

const messageOf = (text: string, fileName?: string): string =>
  errorOf(() => parseMissionFile(text, fileName)).message;

describe('parseMissionFile', () => {
  test('a good file gives its title, context, default gate and each milestone with gate, body and line', () => {
    expect(parseMissionFile(GOOD)).toEqual({
      title: 'Ship the web app',
      context: 'Build a small web app in this repo.\nKeep the public API stable.',
      defaultGate: 'npm test',
      milestones: [
        {
          title: 'Build',
          body: 'Create the server in src/server.ts.\n\nThen wire the routes.\n\n### Details\n\nSub-headings stay in the body.',
          gate: 'npm run build',
          line: 10,
        },
        { title: 'Tests', body: 'Cover every route.', gate: 'npm test -- --run', line: 22 },
        { title: 'Docs', body: 'Write README.md.', gate: null, line: 27 },
      ],
    });
  });

  test('CRLF line endings and a byte-order mark parse the same as LF', () => {
    expect(parseMissionFile(`\uFEFF${GOOD.replace(/\n/g, '\r\n')}`)).toEqual(parseMissionFile(GOOD));
  });

  test('a milestone without a gate falls back to the default gate', () => {
    const mission = parseMissionFile(GOOD);
    expect(mission.milestones.map((m) => effectiveGate(mission, m))).toEqual([
      'npm run build',
      'npm test -- --run',
      'npm test',
    ]);
  });

  test('a file without a default gate or context has an empty context and a null default', () => {
    expect(parseMissionFile('# T\n## One\n')).toEqual({
      title: 'T',
      context: '',
      defaultGate: null,
      milestones: [{ title: 'One', body: '', gate: null, line: 2 }],
    });
  });

  test.each([
    ['gate: npm test', 'npm test'],
    ['Gate:npm test', 'npm test'],
    ['  gate:   npm test  ', 'npm test'],
    ['gate: `npm test`', 'npm test'],
    ['`gate: npm test`', 'npm test'],
    ['gate: ``echo `date` ``', 'echo `date`'],
    ['gate: `a` && `b`', '`a` && `b`'],
  ])('the gate line %j gives the command %j', (line, command) => {
    expect(parseMissionFile(`# T\n## M\n${line}\n`).milestones[0]!.gate).toBe(command);
  });

  test('lines inside a code fence are body text, not milestones or gates', () => {
    const text =
      '# T\n## M\nBefore.\n```md\n## Not a milestone\ngate: not a gate\n```\n~~~~\n# nor a title\n~~~~\n';
    expect(parseMissionFile(text).milestones).toEqual([
      {
        title: 'M',
        body: 'Before.\n```md\n## Not a milestone\ngate: not a gate\n```\n~~~~\n# nor a title\n~~~~',
        gate: null,
        line: 2,
      },
    ]);
  });

  test('a fence closes only on the same character with at least the same length', () => {
    const text = '# T\n## M\n````\n```\n## inside\n~~~\n````\n## N\n';
    expect(parseMissionFile(text).milestones.map((m) => m.title)).toEqual(['M', 'N']);
  });

  test('HTML comments before the title are skipped; a multi-line comment in a body is body text', () => {
    const text = '\n<!--\n## hidden\n-->\n\n# T\n## M\n<!-- note\n## still hidden\n-->\n';
    const mission = parseMissionFile(text);
    expect(mission.title).toBe('T');
    expect(mission.milestones).toEqual([
      { title: 'M', body: '<!-- note\n## still hidden\n-->', gate: null, line: 7 },
    ]);
  });

  test('removing a gate line between paragraphs leaves one blank line', () => {
    expect(parseMissionFile('# T\n## M\nA.\n\ngate: x\n\nB.\n').milestones[0]!.body).toBe('A.\n\nB.');
  });

  test('a heading may close with #s, but C# keeps its #', () => {
    expect(parseMissionFile('# T #\n## Port to C#\n## Tests ##\n').milestones.map((m) => m.title)).toEqual([
      'Port to C#',
      'Tests',
    ]);
  });

  test.each([
    [
      'text before the title',
      'intro\n# T\n## M\n',
      'mission.md:1: expected a "# Title" line first, found "intro"',
    ],
    [
      'a milestone before the title',
      '\n## M\n',
      'mission.md:2: expected a "# Title" line first, found "## M"',
    ],
    ['an empty file', ' \n\n', 'mission.md: expected a "# Title" line first, but the file is empty'],
    ['an empty title', '#\n## M\n', 'mission.md:1: the title is empty: write it after "# "'],
    ['no milestones', '# T\ncontext\n', 'mission.md: no milestones: add a "## Milestone" section'],
    ['an empty milestone title', '# T\n## A\n##\n', 'mission.md:3: a milestone needs a title'],
    [
      'a second title',
      '# T\n## A\n# U\n',
      'mission.md:3: a second "# " title (the first is at line 1); milestones are "## " sections',
    ],
    [
      'an empty gate',
      '# T\n\n## Setup\nx\n\n\n## Build\ngate: ``\n',
      'mission.md:8: milestone "Build" has an empty gate',
    ],
    ['an empty default gate', '# T\ngate:\n## M\n', "mission.md:2: the mission's default gate is empty"],
    [
      'two gates in one milestone',
      '# T\n## Build\ngate: a\ngate: b\n',
      'mission.md:4: milestone "Build" has a second gate line (the first is at line 3)',
    ],
    [
      'a duplicate title',
      '# T\n\n\n\n## Tests\n\n\n\n\n\n\n## tests\n',
      'mission.md:12: duplicate milestone title "tests" (first at line 5)',
    ],
    [
      'titles that make the same slug',
      '# T\n## Build app\n## Build: app!\n',
      'mission.md:3: milestone title "Build: app!" names the same milestone as "Build app" (line 2): both become "build-app"',
    ],
    [
      'a title without letters or digits',
      '# T\n## ???\n',
      'mission.md:2: milestone title "???" needs at least one letter or digit (a-z, 0-9)',
    ],
    ['an unclosed fence', '# T\n## M\n```\n## N\n', 'mission.md:3: this code fence is never closed'],
    [
      'an unclosed comment',
      '# T\n<!-- x\n## M\n',
      'mission.md:2: this HTML comment is never closed (no "-->")',
    ],
  ])('refuses %s with the line and what is wrong', (_case, text, message) => {
    expect(messageOf(text)).toBe(message);
  });

  test('errors name the given file and carry a hint about the format', () => {
    const error = errorOf(() => parseMissionFile('oops', 'plans/web.md'));
    expect(error.message).toBe('plans/web.md:1: expected a "# Title" line first, found "oops"');
    expect(error.hint).toContain('"## Milestone"');
  });

  test('line numbers count CRLF lines the same as LF lines', () => {
    expect(messageOf('# T\r\n## A\r\n\r\n## A\r\n')).toBe(
      'mission.md:4: duplicate milestone title "A" (first at line 2)',
    );
  });
});

describe('missionFromFlags', () => {
  test('splits each milestone at the first colon and uses --gate as the default gate', () => {
    expect(
      missionFromFlags({
        name: 'web',
        milestones: ['Build: make it: all of it', 'Fix bug #12', '  Docs :  write README  '],
        gate: ' npm test ',
      }),
    ).toEqual({
      title: 'web',
      context: '',
      defaultGate: 'npm test',
      milestones: [
        { title: 'Build', body: 'make it: all of it', gate: null, line: null },
        { title: 'Fix bug #12', body: '', gate: null, line: null },
        { title: 'Docs', body: 'write README', gate: null, line: null },
      ],
    });
  });

  test('gives the same definition as the equivalent file, line numbers aside', () => {
    const fromFile = parseMissionFile(
      '# web\nShip it.\ngate: npm test\n## Build\nmake it\n## Tests\nadd tests\n',
    );
    const fromFlags = missionFromFlags({
      name: 'web',
      context: 'Ship it.',
      milestones: ['Build: make it', 'Tests: add tests'],
      gate: 'npm test',
    });
    expect(fromFlags).toEqual({
      ...fromFile,
      milestones: fromFile.milestones.map((m) => ({ ...m, line: null })),
    });
  });

  test('no gate flag means no default gate', () => {
    expect(missionFromFlags({ name: 'web', milestones: ['A'] }).defaultGate).toBeNull();
  });

  test.each([
    [{ name: ' ', milestones: ['A'] }, 'the mission needs a name'],
    [{ name: 'web', milestones: [] }, 'no milestones: add --milestone "title: what to do"'],
    [{ name: 'web', milestones: ['A'], gate: '  ' }, '--gate: the command is empty'],
    [{ name: 'web', milestones: ['A: x', ': y'] }, '--milestone #2: a milestone needs a title'],
    [
      { name: 'web', milestones: ['Tests: a', 'B', 'Tests: b'] },
      '--milestone #3: duplicate milestone title "Tests" (first at --milestone #1)',
    ],
    [
      { name: 'web', milestones: ['A', '!!!: b'] },
      '--milestone #2: milestone title "!!!" needs at least one letter or digit (a-z, 0-9)',
    ],
  ])('refuses %j: %s', (flags, message) => {
    expect(errorOf(() => missionFromFlags(flags)).message).toBe(message);
  });
});

describe('milestoneSlug', () => {
  test.each([
    ['Build the CLI!', 'build-the-cli'],
    ['  Café  au lait ', 'cafe-au-lait'],
    ['Port to C#', 'port-to-c'],
    ['???', ''],
    ['a'.repeat(60), 'a'.repeat(48)],
    [`${'a'.repeat(47)} b`, 'a'.repeat(47)],
  ])('%j → %j', (title, slug) => {
    expect(milestoneSlug(title)).toBe(slug);
  });
});
