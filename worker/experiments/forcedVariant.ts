/**
 * QA override: `x-variant: <name>` forces a variant, honoured only with `x-variant-token` equal to
 * the `VARIANT_OVERRIDE_TOKEN` Worker secret. Without the secret, or with a wrong token, the header
 * is ignored (the request is assigned as usual), so the override cannot be used to skew an
 * experiment from outside.
 */
export const FORCED_VARIANT_HEADER = 'x-variant';
export const VARIANT_TOKEN_HEADER = 'x-variant-token';

const encoder = new TextEncoder();

/** Compares SHA-256 digests in constant time, so the comparison leaks neither length nor prefix. */
export async function tokenMatches(presented: string | undefined, secret: string | undefined): Promise<boolean> {
  if (!secret || presented === undefined) return false;
  const [a, b] = await Promise.all([digest(presented), digest(secret)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}
