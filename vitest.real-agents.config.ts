import { defineConfig } from 'vitest/config';

/**
 * The opt-in suite against the real agent CLIs (`npm run test:real-agents`): not part of `npm test`
 * or CI. It imports the adapters from src/ directly, so no build is needed. Installing the pinned
 * CLIs the first time takes minutes; one worker, so installs and help runs never compete.
 */
export default defineConfig({
  test: {
    include: ['test/real-agents/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.real-agents-cache/**'],
    testTimeout: 5 * 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
