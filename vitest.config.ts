import { defineConfig } from 'vitest/config';

// Node-side tests: contract, data, models, metrics, ONNX export parity.
// Worker tests run inside workerd with vitest.workers.config.ts.
//
// The soak (real wrangler dev under load, idle, reload and fault deployments) runs in a group of its
// own after every other file. On 2 cores vitest runs one file at a time anyway; on bigger machines it
// would share the cores with training and parity files, and a soak's verdict must be about the
// worker, not about its neighbours.
const SOAK = 'test/unit/soak.test.ts';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/unit/**/*.test.ts', 'test/parity/**/*.test.ts', 'test/browser/**/*.test.ts'], exclude: [SOAK], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'soak', include: [SOAK], sequence: { groupOrder: 1 } } },
    ],
  },
});
