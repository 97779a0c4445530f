/**
 * Counts the requests this isolate is handling, so that background work (the idle warm-up,
 * models/warmUp.ts) runs only while no request waits for the CPU. A request counts from its first
 * middleware until its response is built; work it leaves for after the response does not count.
 */
import type { MiddlewareHandler } from 'hono';

export class RequestsInFlight {
  private count = 0;
  /** When the last request finished (Date.now(); workerd advances it between I/O events, enough here). */
  private lastEnded = 0;

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
        this.lastEnded = Date.now();
      }
    };
  }

  /**
   * Resolves on a later macrotask once no request is in flight and none has finished for `quietMs`:
   * back-to-back traffic leaves only a millisecond or two between requests, and work started in such
   * a gap would delay the next request instead of using idle time. Polls with a 1 ms timer rather
   * than waking on the count reaching zero: the waiter belongs to another request's context (the one
   * that loaded the model) and workerd does not let one request resolve another's promises.
   */
  async whenIdle(quietMs = 0): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.count > 0 || Date.now() - this.lastEnded < quietMs) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
