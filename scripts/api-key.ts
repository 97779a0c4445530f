/**
 * Mints an API key for `RATE_LIMIT_KEY = header:<name>` (worker/middleware/apiKeys.ts):
 *
 *   API_KEY_SECRET=… npm run api-key -- <tenant>
 *
 * The secret is the one set with `wrangler secret put API_KEY_SECRET`; the key goes to the tenant.
 */
import { parseArgs } from 'node:util';
import { mintApiKey } from '../core/auth/apiKeys.js';

const { positionals } = parseArgs({ allowPositionals: true });
const secret = process.env.API_KEY_SECRET;
if (positionals.length !== 1 || !secret) {
  console.error('usage: API_KEY_SECRET=<the worker\'s secret> npm run api-key -- <tenant>');
  process.exit(2);
}
console.log(await mintApiKey(secret, positionals[0]));
