import { defineConfig } from 'vitest/config';

/**
 * Three groups, run one after the other: the suite proper, the fuzz suites, then the cluster tests. The fuzzers keep a core busy
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
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/fuzz/**', 'test/integration/cluster/**'],
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...shared, name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], sequence: { groupOrder: 1 } } },
      // Several nodes and a PostgreSQL each, with leases measured in seconds: one file at a time, after the rest,
      // so a loaded machine slows them down without starving a node's heartbeat into a false takeover.
      {
        test: { ...shared, name: 'cluster', include: ['test/integration/cluster/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
