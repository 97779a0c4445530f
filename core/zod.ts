/**
 * zod, configured for workerd: without `jitless` zod 4 probes `new Function` to build fast parsers,
 * and workerd forbids code generation. Worker modules import zod from here so the setting is
 * applied before any schema runs (it is global, so it covers `contract/manifest.ts` too).
 *
 * Import it as a namespace (`import * as z from './zod.js'`), never zod's own `z` object: the
 * bundler can then keep only the functions used. zod's `z` object holds everything, including
 * ~40 error-message locales: importing it made the minified bundle 347 KiB larger (65 KiB gzip).
 * test/unit/zodImports.test.ts keeps it that way.
 */
import { config } from 'zod';

config({ jitless: true });

export * from 'zod';
