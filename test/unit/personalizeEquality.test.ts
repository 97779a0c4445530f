/**
 * MovieLens latest-small written out in the Personalize layout trains on exactly the samples of
 * the `movielens` source: same contract, same encoded train and test sets, batch for batch.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EncodedDataset } from '../../model-export/train/dataset.js';
import { loadDataset } from '../../model-export/sources/registry.js';
import { DEFAULT_RUN, prepareRun } from '../../model-export/train/run.js';
import { writeMovieLensAsPersonalize } from '../helpers/personalizeLayout.js';

const dir = join(mkdtempSync(join(tmpdir(), 'personalize-eq-')), 'movielens-export');
writeMovieLensAsPersonalize(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every sample of a dataset as one batch, each array by its SHA-256 (deep equality of 10⁷ numbers is slow). */
function everything(d: EncodedDataset) {
  const batch = d.batch(Array.from({ length: d.size }, (_, i) => i));
  const digests = Object.entries(batch).map(([key, value]) => [key, ArrayBuffer.isView(value) ? sha256(value) : value]);
  return { size: d.size, users: sha256(Buffer.from(d.userIds.join('\n'))), ...Object.fromEntries(digests) };
}
const sha256 = (v: ArrayBufferView) => createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');

describe('Personalize layout ≡ movielens source', () => {
  for (const protocol of ['next', 'rating'] as const) {
    it(`protocol ${protocol}: same contract and the same samples`, async () => {
      const movielens = await loadDataset({ source: 'movielens', protocol });
      const personalize = await loadDataset({
        source: 'personalize',
        data: dir,
        protocol,
        // The shipped MovieLens split (user id mod 5); the personalize default would hash ids.
        split: { by: 'user', testFraction: 0.2, assign: 'modulo' },
        ...(protocol === 'rating' ? { positive: { minEventValue: 4 } } : {}),
        // MovieLens' conversion (multi-task second label) is "rated ≥ 4": the same rule as an event filter.
        conversion: { minEventValue: 4 },
      });
      expect(personalize.stats).toMatchObject({ items: { categoryColumn: 'GENRES', categoryColumnGuessed: true }, interactions: { malformed: 0, kept: 100836 } });
      expect(personalize.name).toBe('movielens-export');
      const run = { ...DEFAULT_RUN, model: 'din' as const, protocol, seed: 3 };
      const a = prepareRun(movielens, run);
      const b = prepareRun(personalize, run);
      expect(b.contract.spec).toEqual(a.contract.spec);
      expect(a.train.size).toBeGreaterThan(50_000);
      expect(everything(b.train)).toEqual(everything(a.train));
      expect(everything(b.test)).toEqual(everything(a.test));
    });
  }
});
