import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, event, type MissionEvent } from './events.js';

describe('journal entries', () => {
  it('the mission kinds carry the data their writers give them', () => {
    const entries: MissionEvent[] = [
      event('mission-created', { milestones: 3 }),
      event('mission-started', {}),
      event('mission-resumed', { raised: { maxSessions: { from: 5, to: 8 } } }),
      event('mission-paused', { reason: 'paused by the user' }),
      event('milestone-done', { milestone: 'Alpha', by: 'user' }),
    ];
    expect(entries.map((e) => e.type)).toEqual([
      'mission-created',
      'mission-started',
      'mission-resumed',
      'mission-paused',
      'milestone-done',
    ]);
    expect(entries[2]!.data).toEqual({ raised: { maxSessions: { from: 5, to: 8 } } });
    for (const e of entries) expect(EVENT_KINDS).toContain(e.type);
  });

  it('a kind the union lacks, or data of the wrong shape, does not compile', () => {
    // Each line below is a type error (npm run typecheck fails if one of them compiles).
    // @ts-expect-error a kind no writer may journal
    const unknownKind = event('mission-exploded', {});
    // @ts-expect-error mission-created carries its milestone count
    const missingField = event('mission-created', {});
    // @ts-expect-error a raised budget says where it went to
    const wrongShape = event('mission-resumed', { raised: { maxSessions: { from: 5 } } });
    // event() itself checks nothing at run time: the guarantee is the compiler's.
    expect([unknownKind.type, missingField.type, wrongShape.type]).toEqual([
      'mission-exploded',
      'mission-created',
      'mission-resumed',
    ]);
  });
});
