/**
 * `node --expose-gc --import tsx bench/lib/modelHeap.ts <model dir>`: prints the bytes a loaded
 * model adds to a fresh V8 heap — its manifest parsed and validated, the feature contract built,
 * a row store's hot shard read: what grows with the catalogue besides ORT's graph and the bounded
 * row cache. A process of its own, so no other garbage is counted (bench/catalogue.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractOf, modelManifestSchema } from '../../contract/manifest.js';
import { ItemRowStore } from '../../core/rows/itemRowStore.js';

const dir = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
if (!dir || !gc) throw new Error('usage: node --expose-gc --import tsx bench/lib/modelHeap.ts <model dir>');
gc();
const before = process.memoryUsage();
const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
const contract = contractOf(manifest);
const rows = manifest.itemRows ? new ItemRowStore(manifest.itemRows, async (f) => new Uint8Array(readFileSync(join(dir, manifest.itemRows!.directory, f)))) : undefined;
if (rows) await rows.resolve([]);
gc();
const after = process.memoryUsage();
console.log(String(after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)));
void [contract, rows];
