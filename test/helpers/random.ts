/**
 * Seeded randomness for tests: a failing run names its seed, and HOLDFAST_TEST_SEED=<seed> replays it.
 */

/** The seed of a random test: HOLDFAST_TEST_SEED when set (to replay a failure), else a new one. */
export function testSeed(): number {
  const given = process.env.HOLDFAST_TEST_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`HOLDFAST_TEST_SEED must be an integer, got ${given}`);
    return seed;
  }
  return Date.now() % 1_000_000;
}

/** A small seeded generator (mulberry32): numbers in [0, 1), the same for the same seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
