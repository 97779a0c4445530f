/**
 * Hour of day and weekday of an instant in a time zone: the DIN paper's "time" context, derived
 * the same way from a training row's TIMESTAMP and from a request's time (Intl, so any IANA zone,
 * daylight saving included). Values are the vocabulary strings of the derived features:
 * hour `0`…`23`, weekday `Mon`…`Sun`.
 */

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export interface TimeContext {
  hour: string;
  weekday: string;
}

/** Formatter construction costs tens of µs: one per zone, a bounded cache. */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 64;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' });
    if (formatters.size >= MAX_FORMATTERS) formatters.delete(formatters.keys().next().value as string);
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` names a zone this runtime knows (IANA names such as `Europe/Paris`, or `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Hour and weekday of `epochSeconds` in `timeZone`; throws RangeError on an unknown zone. */
export function timeContext(epochSeconds: number, timeZone = 'UTC'): TimeContext {
  if (timeZone === 'UTC') {
    const d = new Date(epochSeconds * 1000);
    return { hour: String(d.getUTCHours()), weekday: WEEKDAYS[(d.getUTCDay() + 6) % 7] };
  }
  let hour = '';
  let weekday = '';
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochSeconds * 1000))) {
    if (part.type === 'hour') hour = String(Number(part.value));
    else if (part.type === 'weekday') weekday = part.value;
  }
  return { hour, weekday };
}

/**
 * timeContext for many timestamps of one zone (training rows): every zone's offset is a multiple
 * of 15 minutes, so a 15-minute bucket has one answer and Intl runs once per bucket.
 */
export function timeContextCache(timeZone: string): (epochSeconds: number) => TimeContext {
  const cache = new Map<number, TimeContext>();
  return (epochSeconds) => {
    const bucket = Math.floor(epochSeconds / 900);
    let v = cache.get(bucket);
    if (v === undefined) cache.set(bucket, (v = timeContext(bucket * 900, timeZone)));
    return v;
  };
}
