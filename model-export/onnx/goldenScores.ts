/**
 * Golden requests of an export (contract/goldenRequests.ts): encoded by the worker's own request
 * encoder, scored by onnxruntime-node on the exported bytes, stored in the manifest.
 */
import { createRequire } from 'node:module';
import { FeatureContract } from '../../contract/featureContract.js';
import { GOLDEN_TOLERANCE, goldenRequestsFor, type Golden, type GoldenOutput } from '../../contract/goldenRequests.js';
import { SERVING_INPUTS, SERVING_OUTPUTS, TASK_OUTPUTS } from '../../contract/manifest.js';
import { encodeForModel } from '../../core/encode/rowFeeds.js';
import { ItemRowStore } from '../../core/rows/itemRowStore.js';
import type { ItemRowFiles } from './itemRowShards.js';
import { nodeSessionOptions } from './nodeSessionOptions.js';

/**
 * `rows`: the model's item rows live outside the graph; the requests' ids are still chosen from the
 * training vocabulary (`contract`), but encoded as the worker will: through the served contract and
 * the written shards, so the golden outputs pin the row store too (int8 rows included).
 */
export async function goldenFor(onnx: Uint8Array, contract: FeatureContract, rows?: ItemRowFiles): Promise<Golden> {
  const served = rows
    ? { contract: new FeatureContract(rows.contract, { externalItems: true }), rows: new ItemRowStore(rows.spec, async (file) => rows.files.get(file) ?? Promise.reject(new Error(`no shard ${file}`))) }
    : { contract };
  const ort = await import('onnxruntime-node');
  const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  const session = await ort.InferenceSession.create(onnx, nodeSessionOptions());
  try {
    const outputs = [SERVING_OUTPUTS.scores, ...TASK_OUTPUTS.filter((t) => session.outputNames.includes(t))] as GoldenOutput[];
    const requests = [];
    for (const input of goldenRequestsFor(rows ? contractOver(contract, rows.goldenItems) : contract)) {
      const { feeds } = await encodeForModel(served, input, { time: input.time, route: input.route });
      const tensors: Record<string, InstanceType<typeof ort.Tensor>> = {
        [SERVING_INPUTS.historyItems]: new ort.Tensor('int32', feeds.historyItems, [feeds.historyItems.length]),
        [SERVING_INPUTS.historyCategories]: new ort.Tensor('int32', feeds.historyCategories, [feeds.historyCategories.length]),
        [SERVING_INPUTS.candidateItems]: new ort.Tensor('int32', feeds.candidateItems, [feeds.candidateItems.length]),
        [SERVING_INPUTS.candidateCategories]: new ort.Tensor('int32', feeds.candidateCategories, [feeds.candidateCategories.length]),
      };
      for (const f of feeds.features ?? []) tensors[f.input] = new ort.Tensor(f.dtype, f.data, f.dims);
      const result = await session.run(tensors, outputs);
      const expected = Object.fromEntries(outputs.map((name) => [name, Array.from(result[name].data as Float32Array)]));
      requests.push({ ...input, expected });
    }
    return { tolerance: GOLDEN_TOLERANCE, reference: `onnxruntime-node ${version}`, requests };
  } finally {
    await session.release();
  }
}

/** `contract` with its vocabulary cut to `items` (in vocabulary order): where golden requests draw ids from. */
function contractOver(contract: FeatureContract, items: readonly string[]): FeatureContract {
  const keep = new Set(items);
  const at = contract.spec.items.flatMap((id, i) => (keep.has(id) ? [i] : []));
  return new FeatureContract({ ...contract.spec, items: at.map((i) => contract.spec.items[i]), itemCategories: at.map((i) => contract.spec.itemCategories[i]) });
}
