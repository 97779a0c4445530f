/**
 * HMAC-SHA-256 with Web Crypto, keys imported once per secret and isolate: assignment tokens, API
 * keys, keyed buckets and keyed unit hashes all sign with it (several times per request).
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(message)));
}
