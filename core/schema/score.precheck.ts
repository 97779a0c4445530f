/**
 * Record sizes checked before schema validation (issue 24, item 5): zod validates every value of a
 * record before its key-count refinement runs, so a `profile` of 24,000 keys cost a full
 * validation (≈ 100 ms) before being refused. This walk counts keys with an early exit and checks
 * list lengths and id lengths first; the schema then sees only bounded input.
 */
import type { ErrorIssue } from '../errors.js';
import { SCORE_LIMITS } from './score.schema.js';

/** More than `max` own enumerable keys? Stops counting at max + 1. */
function tooManyKeys(value: object, max: number): boolean {
  let n = 0;
  for (const key in value) {
    if (Object.hasOwn(value, key) && ++n > max) return true;
  }
  return false;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function recordSizeIssues(body: unknown): ErrorIssue[] {
  if (!isRecord(body)) return [];
  const issues: ErrorIssue[] = [];
  const L = SCORE_LIMITS;
  for (const key of ['profile', 'context'] as const) {
    const v = body[key];
    if (isRecord(v) && tooManyKeys(v, L.maxFeatureEntries)) issues.push({ path: key, message: `at most ${L.maxFeatureEntries} entries` });
  }
  if (typeof body.user === 'string' && body.user.length > L.maxIdLength) issues.push({ path: 'user', message: `at most ${L.maxIdLength} characters` });
  for (const [key, max] of [['history', L.maxHistory], ['candidates', L.maxCandidates]] as const) {
    const list = body[key];
    if (!Array.isArray(list)) continue;
    if (list.length > max) {
      issues.push({ path: key, message: `at most ${max} entries` });
      continue;
    }
    for (let i = 0; i < list.length && issues.length <= 20; i++) {
      const ref = list[i];
      if (typeof ref === 'string' && ref.length > L.maxIdLength) issues.push({ path: `${key}.${i}`, message: `an id is at most ${L.maxIdLength} characters` });
      if (!isRecord(ref)) continue;
      if (typeof ref.item === 'string' && ref.item.length > L.maxIdLength) issues.push({ path: `${key}.${i}.item`, message: `an id is at most ${L.maxIdLength} characters` });
      if (typeof ref.category === 'string' && ref.category.length > L.maxIdLength) issues.push({ path: `${key}.${i}.category`, message: `at most ${L.maxIdLength} characters` });
      if (isRecord(ref.attributes) && tooManyKeys(ref.attributes, L.maxFeatureEntries)) issues.push({ path: `${key}.${i}.attributes`, message: `at most ${L.maxFeatureEntries} entries` });
    }
  }
  return issues;
}
