/**
 * A warning that may fire on every request (a fallback, a failed model) is printed at most once per
 * key per interval; the next line says how many were suppressed in between, so logs stay readable
 * under load and the count is not lost.
 */
const last = new Map<string, { at: number; suppressed: number }>();
const MAX_KEYS = 256;

export function throttledWarn(key: string, message: string, intervalMs = 60_000, now = Date.now()): boolean {
  const seen = last.get(key);
  if (seen && now - seen.at < intervalMs) {
    seen.suppressed++;
    return false;
  }
  const suppressed = seen?.suppressed ?? 0;
  if (!seen && last.size >= MAX_KEYS) last.delete(last.keys().next().value as string);
  last.set(key, { at: now, suppressed: 0 });
  console.warn(suppressed > 0 ? `${message} (${suppressed} more like this in the last ${Math.round((now - seen!.at) / 1000)} s)` : message);
  return true;
}

/** Forget what was printed (tests that assert on the first warning). */
export function resetThrottledWarnings(): void {
  last.clear();
}
