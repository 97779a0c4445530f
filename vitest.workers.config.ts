/**
 * Worker tests, run inside workerd by @cloudflare/vitest-pool-workers (test/workerd/).
 * The worker is configured from wrangler.toml (assets = models/, vars); globalSetup runs in Node
 * and computes the onnxruntime-node reference scores the workerd tests compare against.
 * `WORKERD_TEST_WRANGLER_CONFIG` points the run at another wrangler config (e.g. another model).
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Keep wrangler/miniflare from calling out (no network here, and none needed).
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';

const wranglerConfig = process.env.WORKERD_TEST_WRANGLER_CONFIG ?? './wrangler.toml';

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: wranglerConfig },
      // Test-only secret for the QA override (a real deployment sets it with `wrangler secret put`).
      // TEST_RATE_LIMIT: a small per-client budget for test/workerd/rateLimit.test.ts (wrangler.toml's is 600 units a minute).
      miniflare: {
        bindings: { VARIANT_OVERRIDE_TOKEN: 'test-override-token', ADMIN_TOKEN: 'test-admin-token', ASSIGNMENT_TOKEN_SECRET: 'test-assignment-token-secret-0123456789abcdef' },
        ratelimits: { TEST_RATE_LIMIT: { simple: { limit: 12, period: 60 } } },
      },
    }),
  ],
  test: {
    include: ['test/workerd/**/*.test.ts'],
    globalSetup: ['test/workerd/globalSetup.ts'],
    // One workerd runtime for all files: the worker modules and ORT's wasm load once.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
