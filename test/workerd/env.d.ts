import type { WorkerBindings } from '../../worker/config.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {
      /** vitest.workers.config.ts: 12 units a minute. */
      TEST_RATE_LIMIT: RateLimit;
    }
    interface GlobalProps {
      mainModule: typeof import('../../worker/index.js');
    }
  }
}
