/**
 * zod, configured for workerd: without `jitless` zod 4 probes `new Function` to build fast parsers,
 * and workerd forbids code generation. Worker modules import `z` from here so the setting is
 * applied before any schema runs (it is global, so it covers `contract/manifest.ts` too).
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
