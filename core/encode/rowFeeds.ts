/**
 * Encoding for every model, whether its item rows are inside the graph or in a row store
 * (contract/itemRows.ts). With a store: the ids the model will see (the kept history and the
 * candidates) are read from it first, the contract encodes with its answer (known → its category;
 * unknown → the OOV rule), and the rows become the graph's `hist_item_emb` [T, D] and
 * `cand_item_emb` [C, D] inputs — the OOV row for unknown ids, the padding row for padding.
 */
import { canonicalId, type BehaviourRef, type FeatureContract, type RawId } from '../../contract/featureContract.js';
import { ITEM_ROW_INPUTS } from '../../contract/itemRows.js';
import { ApiError } from '../errors.js';
import type { ItemRowStore, ResolvedItem } from '../rows/itemRowStore.js';
import { encodeScoreRequest, type EncodedScoreRequest, type RequestCircumstances, type ScoreInputs } from './requestEncoder.js';

export interface EncodableModel {
  contract: FeatureContract;
  /** Present when the model's item rows live outside its graph. */
  rows?: ItemRowStore;
}

const idOf = (ref: RawId | BehaviourRef): string => canonicalId(typeof ref === 'object' ? ref.item : ref);

/** encodeScoreRequest, reading the row store first when the model has one (RowStoreError when it cannot be read). */
export async function encodeForModel(model: EncodableModel, request: ScoreInputs, circumstances?: RequestCircumstances): Promise<EncodedScoreRequest> {
  const store = model.rows;
  if (!store) return encodeScoreRequest(model.contract, request, circumstances);
  const kept = request.history.slice(Math.max(0, request.history.length - model.contract.maxHistory)).map(idOf);
  const candidateIds = request.candidates.map(idOf);
  const ids = [...kept, ...candidateIds];
  const shards = await store.shardsFor(ids);
  if (shards > store.maxShardsPerRequest) {
    throw new ApiError('unscorable_request', `the history and candidates of this request are spread over ${shards} row shards; this model keeps its item rows outside the graph and reads at most ${store.maxShardsPerRequest} shards per request: send fewer candidates`, {
      issues: [{ path: 'candidates', message: `touches ${shards} row shards, at most ${store.maxShardsPerRequest}` }],
    });
  }
  const resolved = await store.resolve(ids);
  const encoded = encodeScoreRequest(model.contract, request, circumstances, (id) => resolved.get(id)?.category);
  const { dim, padRow, oovRow } = store.spec;
  const rowsOf = (ids: readonly string[], width: number): Float32Array => {
    const out = new Float32Array(width * dim);
    for (let i = 0; i < width; i++) {
      const item: ResolvedItem | null | undefined = i < ids.length ? resolved.get(ids[i]) : undefined;
      out.set(i >= ids.length ? padRow : (item?.row ?? oovRow), i * dim);
    }
    return out;
  };
  const T = encoded.feeds.historyItems.length;
  const C = candidateIds.length;
  encoded.feeds = {
    ...encoded.feeds,
    features: [
      ...(encoded.feeds.features ?? []),
      { input: ITEM_ROW_INPUTS.history, dtype: 'float32', data: rowsOf(kept, T), dims: [T, dim] },
      { input: ITEM_ROW_INPUTS.candidates, dtype: 'float32', data: rowsOf(candidateIds, C), dims: [C, dim] },
    ],
  };
  return encoded;
}
