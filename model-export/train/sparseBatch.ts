/**
 * Batch-local views of host tables (layers/sparseTable.ts), the sparse half of training:
 * per batch, the distinct ids of the arrays indexing a host table are gathered into a small
 * tf.Variable [U, D], the batch's arrays are rewritten to positions in it, and the ParamStore
 * hands it out under the table's name while the batch is bound. The forward pass is unchanged; the
 * gradient of the local rows is the gradient of those rows of the full table, applied on the host
 * by the lazy Adam (lazyAdam.ts). Per batch the work is O(ids in the batch), never O(catalogue).
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../layers/params.js';
import type { SparseTable } from '../layers/sparseTable.js';
import type { Batch } from './dataset.js';
import type { IndexField, TableIndex } from './tableIndex.js';

export interface RemappedIds {
  /** Local position → global id; ids[0] = 0 always (padding stays 0: models mask on item 0). */
  ids: Int32Array;
  /** Whether id 0 occurred in the arrays (else local row 0 is a placeholder nobody looked up). */
  padding: boolean;
  /** The input arrays with every id replaced by its local position. */
  local: Int32Array[];
}

/** Global ids → dense local positions, with a slot map reused across batches and reset only at the ids it touched. */
export class IdRemapper {
  /** global id → local position + 1; 0 = not in the current batch. */
  private readonly slot: Int32Array;

  constructor(readonly rows: number) {
    this.slot = new Int32Array(rows).fill(0); // pages written now, not faulted in one by one during steps (lazyAdam.ts zeroed)
  }

  remap(arrays: readonly Int32Array[]): RemappedIds {
    let total = 1;
    for (const a of arrays) total += a.length;
    const ids = new Int32Array(total); // upper bound on the distinct count
    let count = 1;
    let padding = false;
    const local = arrays.map((a) => {
      const out = new Int32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        const g = a[i];
        if (g === 0) {
          padding = true;
          continue; // out[i] = 0
        }
        if (g < 0 || g >= this.rows) throw new Error(`id ${g} is outside the table's ${this.rows} rows`);
        let s = this.slot[g];
        if (s === 0) {
          ids[count] = g;
          s = this.slot[g] = ++count; // local position count − 1, stored + 1
        }
        out[i] = s - 1;
      }
      return out;
    });
    for (let i = 1; i < count; i++) this.slot[ids[i]] = 0; // O(U) reset, ready for the next batch
    return { ids: ids.slice(0, count), padding, local };
  }
}

/** One bound host table of a batch. */
export interface LocalTable {
  param: string;
  table: SparseTable;
  /** [U, D], rows = table rows ids[0..U). */
  variable: tf.Variable;
  ids: Int32Array;
  padding: boolean;
}

export interface BatchView {
  /** The batch with the host tables' index arrays rewritten to local positions. */
  batch: Batch;
  locals: LocalTable[];
  /** Unbind the local tables and free them. */
  release(): void;
}

/** Binds batch-local views of a store's host tables; one per fit (or evaluation pass). */
export class SparseBatcher {
  private readonly remappers: IdRemapper[];

  constructor(
    private readonly store: ParamStore,
    readonly tables: readonly TableIndex[],
  ) {
    const owner = new Map<IndexField, string>();
    for (const t of tables) {
      for (const f of t.fields) {
        // A batch array can hold positions of one local table only.
        if (owner.has(f)) throw new Error(`${f} indexes both ${owner.get(f)} and ${t.param}: they cannot both be host tables`);
        owner.set(f, t.param);
      }
    }
    this.remappers = tables.map((t) => new IdRemapper(store.host(t.param).rows));
  }

  /** The store's host tables among `tables` (the item-indexed ones a sparse fit moved to the host). */
  static forHostTables(store: ParamStore, tables: readonly TableIndex[]): SparseBatcher | undefined {
    const host = new Set(store.hostNames());
    const bound = tables.filter((t) => host.has(t.param));
    return bound.length > 0 ? new SparseBatcher(store, bound) : undefined;
  }

  /** Bind `batch`'s rows: trainable local variables for a training step, constants otherwise. */
  bind(batch: Batch, trainable: boolean): BatchView {
    const rewritten: Batch = { ...batch };
    const locals = this.tables.map((t, k) => {
      const table = this.store.host(t.param);
      const { ids, padding, local } = this.remappers[k].remap(t.fields.map((f) => batch[f]));
      t.fields.forEach((f, i) => (rewritten[f] = local[i]));
      const variable = tf.tidy(() => tf.variable(tf.tensor2d(table.gather(ids), [ids.length, table.dim]), trainable));
      this.store.bind(t.param, variable);
      return { param: t.param, table, variable, ids, padding };
    });
    return {
      batch: rewritten,
      locals,
      release: () => {
        for (const l of locals) {
          this.store.unbind(l.param);
          l.variable.dispose();
        }
      },
    };
  }
}
