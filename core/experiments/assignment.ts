/**
 * Sticky, deterministic variant assignment.
 *
 * Unit id: the request's `user` field, else the `x-unit-id` header, else a random UUID the
 * response returns so the client can persist it. Unit key: SHA-256 of `unit:<unit id>` as 64 hex
 * digits — what a page sends instead of the id (`POST /v1/assignments/:route`), so the worker and
 * the page assign from the same key and the id need not leave the page. Bucket: SHA-256 (Web
 * Crypto; the hash Statsig uses) of `<salt>:<unit key>`, the first 8 bytes read as an unsigned
 * big-endian integer, modulo 10,000 (the modulo bias of a 64-bit value is < 1e-15). The bucket
 * picks the variant through the route's bucket ranges (routeConfig.ts).
 *
 * Salts are public (config/routes.json ships with the worker), so anyone can compute which unit ids
 * land in which variant, and a client that chooses its own unit id can choose its variant. For
 * experiments whose validity depends on users not choosing (incentives, pricing), a route sets
 * `"assignment": "keyed"`: the bucket then comes from HMAC-SHA-256 keyed by the ASSIGNMENT_KEY
 * secret, which clients cannot compute (docs/experiments.md).
 */
import { ApiError } from '../errors.js';
import { hmacSha256 } from '../hmac.js';
import { BUCKETS, variantOfBucket, type Route, type Variant } from './routeConfig.js';

export const UNIT_ID_HEADER = 'x-unit-id';
/** Longest unit id accepted from the header (the body field has the same limit in its schema). */
export const MAX_UNIT_ID_LENGTH = 128;

export type UnitSource = 'user' | 'header' | 'generated';

export interface Unit {
  id: string;
  source: UnitSource;
}

/** The unit id a request is assigned by; `header` is `x-unit-id` (ignored if empty or too long). */
export function unitOf(user: string | undefined, header: string | undefined): Unit {
  if (user !== undefined) return { id: user, source: 'user' };
  const fromHeader = header?.trim();
  if (fromHeader && fromHeader.length <= MAX_UNIT_ID_LENGTH) return { id: fromHeader, source: 'header' };
  return { id: crypto.randomUUID(), source: 'generated' };
}

const encoder = new TextEncoder();

/** The unit key: SHA-256 of `unit:<unit id>`, 64 lowercase hex digits. */
export async function unitKeyOf(unitId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`unit:${unitId}`)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A unit key as pages send it: 64 lowercase hex digits. */
export const UNIT_KEY_PATTERN = /^[0-9a-f]{64}$/;

/** SHA-256 of `<salt>:<unitKey>` → bucket in 0 … 9,999. */
export async function bucketOf(unitKey: string, salt: string): Promise<number> {
  const digest = new DataView(await crypto.subtle.digest('SHA-256', encoder.encode(`${salt}:${unitKey}`)));
  return Number(digest.getBigUint64(0, false) % BigInt(BUCKETS));
}

export interface Assignment {
  bucket: number;
  variant: Variant;
}

/** HMAC-SHA-256(key, `<salt>:<unitKey>`) → bucket in 0 … 9,999 (keyed assignment). */
export async function keyedBucketOf(unitKey: string, salt: string, key: string): Promise<number> {
  const digest = new DataView((await hmacSha256(key, `${salt}:${unitKey}`)).buffer);
  return Number(digest.getBigUint64(0, false) % BigInt(BUCKETS));
}

/** `unitKey`: `unitKeyOf(unit id)`; `assignmentKey`: the ASSIGNMENT_KEY secret, required by routes with `"assignment": "keyed"`. */
export async function assign(route: Route, unitKey: string, assignmentKey?: string): Promise<Assignment> {
  let bucket: number;
  if (route.assignment === 'keyed') {
    if (!assignmentKey) throw new ApiError('internal_error', `route "${route.name}" uses keyed assignment but the ASSIGNMENT_KEY secret is not set`);
    bucket = await keyedBucketOf(unitKey, route.salt, assignmentKey);
  } else bucket = await bucketOf(unitKey, route.salt);
  return { bucket, variant: variantOfBucket(route, bucket) };
}
