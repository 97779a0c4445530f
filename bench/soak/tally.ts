/** Counting the soak's responses (soak.ts, attacks.ts): statuses, 5xx, error bodies that are not ours, examples of what went wrong. */

export interface Tally {
  sent: number;
  byStatus: Record<string, number>;
  serverErrors: number;
  /** Error responses (≥ 400) whose body is not our JSON error shape. */
  nonJsonErrors: number;
  /** Requests that got no answer (connection error, or none within 30 s). */
  noAnswer: number;
  /** Examples of whatever went wrong (bounded). */
  problems: string[];
}

/** Our error body: `{error: {code, message, issues: [{path, message}]}}`. */
export interface ErrorBody {
  error: { code: string; message: string; issues: Array<{ path: string; message: string }> };
}

export function newTally(): Tally {
  return { sent: 0, byStatus: {}, serverErrors: 0, nonJsonErrors: 0, noAnswer: 0, problems: [] };
}

export function remember(t: Tally, problem: string): void {
  if (t.problems.length < 20) t.problems.push(problem);
}

/**
 * Counts a response; errors must be our JSON shape. `expected` sees the status, the error body
 * (undefined for a success or a body that is not ours) and the headers; a response it refuses is
 * remembered as a problem. Returns whether it was expected.
 */
export async function tally(t: Tally, res: Response, label: string, expected: (status: number, error: ErrorBody | undefined, headers: Headers) => boolean): Promise<boolean> {
  t.sent++;
  t.byStatus[res.status] = (t.byStatus[res.status] ?? 0) + 1;
  const text = await res.text();
  if (res.status >= 500) t.serverErrors++;
  let error: ErrorBody | undefined;
  if (res.status >= 400) {
    try {
      const body = JSON.parse(text) as Partial<ErrorBody>;
      const ok = res.headers.get('content-type')?.startsWith('application/json') === true && typeof body.error?.code === 'string' && typeof body.error.message === 'string' && Array.isArray(body.error.issues);
      if (ok) error = body as ErrorBody;
    } catch {
      error = undefined;
    }
    if (!error) {
      t.nonJsonErrors++;
      remember(t, `${label}: ${res.status} ${res.headers.get('content-type')} ${text.slice(0, 200)}`);
    }
  }
  const wanted = expected(res.status, error, res.headers);
  if (!wanted) remember(t, `${label}: unexpected ${res.status} ${text.slice(0, 200)}`);
  return wanted;
}

/** Runs `task(i)` for i < count with `concurrency` in flight, while `more()`; a task that throws (no answer, a timeout) is counted in `t` and the run goes on. */
export async function pool(count: number, concurrency: number, more: () => boolean, t: Tally, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && more()) {
        const i = next++;
        try {
          await task(i);
        } catch (err) {
          t.noAnswer++;
          remember(t, `request ${i}: no answer: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
}

/** A request that takes longer fails the soak (a hung worker must not hang the soak). */
export const REQUEST_TIMEOUT_MS = 30_000;
