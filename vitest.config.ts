import { defineConfig } from 'vitest/config';

// Node-side tests: contract, data, models, metrics, ONNX export parity.
// Worker tests run inside workerd with vitest.workers.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/parity/**/*.test.ts', 'test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
