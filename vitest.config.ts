import { defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other: the suite proper, then the fuzz suites. The fuzzers keep a core busy
 * for a minute or more (the SIP one drives the real daemon flat out); running them beside the modem and call
 * tests on CI's 2 cores starved those of CPU and made their timing-based waits fail.
 */
const shared = {
  // Integration tests open real sockets and child processes: forks keep them apart.
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...shared, name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/fuzz/**'], sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
