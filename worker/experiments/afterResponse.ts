import type { Context } from 'hono';

/**
 * Runs `task` after the response: registered with `ctx.waitUntil` so the isolate stays alive for
 * it, and started on a later macrotask so it never delays the response. Failures are logged only.
 * (Without an ExecutionContext — `app.fetch(req, env)` in tests — the task still runs.)
 */
export function afterResponse(c: Context, label: string, task: () => Promise<void>): void {
  const run = new Promise<void>((resolve) => setTimeout(resolve, 0))
    .then(task)
    .catch((err: unknown) => console.error(`[worker] ${label} failed after the response:`, err));
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  ctx?.waitUntil(run);
}
