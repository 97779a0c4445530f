import type { WorkerBindings } from '../../worker/config.js';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {}
    interface GlobalProps {
      mainModule: typeof import('../../worker/index.js');
    }
  }
}
