/**
 * Counts the requests this isolate is handling, so that background work (the idle warm-up,
 * models/warmUp.ts) runs only while no request waits for the CPU. A request counts from its first
 * middleware until its response is built; work it leaves for after the response does not count.
 */
import type { MiddlewareHandler } from 'hono';

export class RequestsInFlight {
  private count = 0;

  get size(): number {
    return this.count;
  }

  middleware(): MiddlewareHandler {
    return async (_c, next) => {
      this.count++;
      try {
        await next();
      } finally {
        this.count--;
      }
    };
  }

  /**
   * Resolves on a later macrotask once no request is in flight. Polls with a 1 ms timer rather than
   * waking on the count reaching zero: the waiter belongs to another request's context (the one that
   * loaded the model) and workerd does not let one request resolve another's promises.
   */
  async whenIdle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.count > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
