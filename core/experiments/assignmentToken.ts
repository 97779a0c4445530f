/**
 * Signed assignment tokens: the worker's proof that it assigned a unit to a variant. Every score
 * response carries one, and so does `POST /v1/assignments/:route` (pages that score in the browser).
 * Exposures (`POST /v1/exposures/:route`) and, later, outcomes are accepted only with a valid,
 * unexpired token, and take route, variant, bucket, unit, model version and objective from it —
 * never from the body — so a client cannot invent a unit, a variant or a model version.
 *
 * Format: `v1.<payload>.<signature>`, both base64url; payload = JSON of `AssignmentClaims`;
 * signature = the first 16 bytes of HMAC-SHA-256(ASSIGNMENT_TOKEN_SECRET, "v1." + payload).
 * 128 bits of tag: forging one is as hard as guessing the secret (RFC 2104 §5 allows truncation to
 * half the hash). Verification recomputes the tag and compares it in constant time; a token has
 * exactly one spelling. Tokens are not encrypted: their claims are what the score response shows anyway.
 */

import { ApiError } from '../errors.js';
import { hmacSha256 } from '../hmac.js';

export interface AssignmentClaims {
  /** Route. */
  r: string;
  /** The variant that served (differs from `av` after a fallback). */
  v: string;
  /** The assigned variant, when it differs from `v`: readouts group units by it (intent to treat). */
  av?: string;
  /** Bucket, 0 … 9,999. */
  b: number;
  /** The keyed unit hash as the logs store it (16 hex digits; exposureLog.ts `hashUnitId`). */
  u: string;
  /** Model name and version that serve the variant. */
  m: string;
  mv: string;
  /** Objective (rankBy). */
  o: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /** Token id: 12 random bytes, base64url. Exposures are counted once per token id and page view. */
  id: string;
  /** Present (1) when a QA override forced the variant: such units are left out of readouts. */
  f?: 1;
}

const PREFIX = 'v1.';
const TAG_BYTES = 16;
/** Longest token accepted (a route and variant name of 63 characters, a long version, stay far below). */
export const MAX_TOKEN_LENGTH = 1024;

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}

async function tag(secret: string, signed: string): Promise<Uint8Array> {
  return (await hmacSha256(secret, signed)).subarray(0, TAG_BYTES);
}

/** A new token for `claims` (minus `id`, which is drawn here). */
export async function signAssignment(secret: string, claims: Omit<AssignmentClaims, 'id'>): Promise<{ token: string; claims: AssignmentClaims }> {
  const full: AssignmentClaims = { ...claims, id: base64url(crypto.getRandomValues(new Uint8Array(12))) };
  const payload = base64url(encoder.encode(JSON.stringify(full)));
  return { token: `${PREFIX}${payload}.${base64url(await tag(secret, PREFIX + payload))}`, claims: full };
}

export type TokenProblem = 'malformed' | 'bad_signature' | 'expired' | 'wrong_route';

/** The token's claims, or why it is refused. `now` in Unix seconds. */
export async function verifyAssignment(secret: string, token: string, route: string, now = Date.now() / 1000): Promise<{ ok: true; claims: AssignmentClaims } | { ok: false; problem: TokenProblem }> {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return { ok: false, problem: 'malformed' };
  const [payload, signature, ...rest] = token.slice(PREFIX.length).split('.');
  const given = signature === undefined ? undefined : fromBase64url(signature);
  // One spelling per token: the tag's unused low bits must be zero (base64url of its own bytes).
  if (rest.length > 0 || !payload || !given || given.length !== TAG_BYTES || base64url(given) !== signature) return { ok: false, problem: 'malformed' };
  const expected = await tag(secret, PREFIX + payload);
  if (!constantTimeEqual(expected, given)) return { ok: false, problem: 'bad_signature' };
  let claims: AssignmentClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as AssignmentClaims;
  } catch {
    return { ok: false, problem: 'malformed' }; // signed by us, so never in practice
  }
  if (!(claims.exp > now)) return { ok: false, problem: 'expired' };
  if (claims.r !== route) return { ok: false, problem: 'wrong_route' };
  return { ok: true, claims };
}

/** Compares two tags without an early exit, so timing says nothing about where they differ. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** What each refusal tells the client (the 4xx body's message). */
export const TOKEN_PROBLEMS: Record<TokenProblem, string> = {
  malformed: 'not an assignment token: send the `assignment.token` of a score response or of POST /v1/assignments/:route',
  bad_signature: 'the token was not issued by this service (or the service\'s key has changed): get a new one',
  expired: 'the token has expired: get a new one (POST /v1/assignments/:route, or score again)',
  wrong_route: 'the token was issued for another route',
};

/** The claims of a token a client sent for `route`, or the 400 that names `token` and why. */
export async function requireAssignment(secret: string, token: string, route: string): Promise<AssignmentClaims> {
  const verified = await verifyAssignment(secret, token, route);
  if (!verified.ok) throw new ApiError('invalid_request', `assignment token refused: ${TOKEN_PROBLEMS[verified.problem]}`, { issues: [{ path: 'token', message: verified.problem }] });
  return verified.claims;
}
