/**
 * Signed API keys for `RATE_LIMIT_KEY = header:<name>` (docs/worker.md, "Threat model"): a key is
 * `ie_<tenant>_<signature>`, signature = base64url of the first 18 bytes of
 * HMAC-SHA-256(API_KEY_SECRET, "api-key:" + tenant). The worker recomputes it, so an invented key
 * is refused and a tenant's name alone spends nothing; keys need no storage and a tenant's key is
 * revoked by rotating the secret (all keys) or by renaming the tenant. Mint with `npm run api-key`.
 */
import { base64url } from '../experiments/assignmentToken.js';
import { hmacSha256 } from '../hmac.js';

const KEY = /^ie_([A-Za-z0-9-]{1,64})_([A-Za-z0-9_-]{24})$/;
async function signature(secret: string, tenant: string): Promise<string> {
  return base64url((await hmacSha256(secret, `api-key:${tenant}`)).subarray(0, 18));
}

/** A tenant's API key under `secret`. */
export async function mintApiKey(secret: string, tenant: string): Promise<string> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(tenant)) throw new Error('a tenant is 1–64 letters, digits or dashes');
  return `ie_${tenant}_${await signature(secret, tenant)}`;
}

/** The tenant of a valid key, else undefined (malformed, or a signature that is not ours). */
export async function tenantOfApiKey(secret: string, key: string): Promise<string | undefined> {
  const m = KEY.exec(key);
  if (!m) return undefined;
  const expected = await signature(secret, m[1]);
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ m[2].charCodeAt(i);
  return diff === 0 ? m[1] : undefined;
}
