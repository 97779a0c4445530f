/**
 * Named weights of one model. Trainable weights are tf.Variables the optimizer updates;
 * state (Dice moving moments) is non-trainable and updated after each step. Exporters read
 * weights by name, so the names are part of each model's export contract.
 *
 * During a sparse fit (train/sparseBatch.ts) the item-indexed tables live on the host as
 * SparseTables (`toHost`); while a batch is bound, `get` hands out that batch's small local table
 * under the same name, so the models' forward passes are unchanged. `toDevice` turns them back
 * into tf.Variables once the fit ends.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { SparseTable } from './sparseTable.js';

export class ParamStore {
  private readonly vars = new Map<string, tf.Variable | SparseTable>();
  /** Batch-local tables standing in for host tables while a batch is bound. */
  private readonly bound = new Map<string, tf.Variable>();
  private readonly rng: seedrandom.PRNG;

  constructor(seed: number) {
    this.rng = seedrandom(`params:${seed}`);
  }

  /** A fresh 31-bit seed for one initializer, drawn from the store's seeded stream. */
  private nextSeed(): number {
    return Math.floor(this.rng() * 2 ** 31);
  }

  /** Glorot-uniform matrix [fanIn, fanOut]. */
  dense(name: string, fanIn: number, fanOut: number): tf.Variable {
    const init = tf.initializers.glorotUniform({ seed: this.nextSeed() });
    return this.add(name, init.apply([fanIn, fanOut]));
  }

  /** Embedding table [rows, dim] ~ N(0, stddev). */
  embedding(name: string, rows: number, dim: number, stddev = 0.05): tf.Variable {
    return this.add(name, tf.randomNormal([rows, dim], 0, stddev, 'float32', this.nextSeed()));
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    return this.add(name, tf.fill(shape, value), trainable);
  }

  private add(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate parameter ${name}`);
    const v = tf.variable(value, trainable); // tfjs names must be globally unique: keep ours in the map
    value.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const local = this.bound.get(name);
    if (local) return local;
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    if (v instanceof SparseTable) throw new Error(`parameter ${name} is a host table: bind a batch-local view of it (train/sparseBatch.ts)`);
    return v;
  }

  /** [rows, dim] or the variable's shape, whether on the host or in tfjs. */
  shape(name: string): number[] {
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    return v instanceof SparseTable ? [v.rows, v.dim] : v.shape;
  }

  /** Trainable tf.Variables (host tables are updated by the sparse optimizer instead). */
  trainable(): tf.Variable[] {
    return [...this.vars.values()].filter((v): v is tf.Variable => !(v instanceof SparseTable) && v.trainable);
  }

  /** Move a 2-D weight out of tfjs into a host table (same values, same name and place in the order). */
  toHost(name: string): SparseTable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    if (v instanceof SparseTable) return v;
    if (v.rank !== 2) throw new Error(`only 2-D tables can live on the host, ${name} is [${v.shape}]`);
    const [rows, dim] = v.shape as [number, number];
    const table = new SparseTable(rows, dim, v.dataSync() as Float32Array);
    v.dispose();
    this.vars.set(name, table);
    return table;
  }

  /** Back into a trainable tf.Variable. */
  toDevice(name: string): tf.Variable {
    const t = this.vars.get(name);
    if (!t) throw new Error(`unknown parameter ${name}`);
    if (!(t instanceof SparseTable)) return t;
    const v = tf.tidy(() => tf.variable(tf.tensor2d(t.values, [t.rows, t.dim]), true));
    this.vars.set(name, v);
    return v;
  }

  /** The host table `name` (throws when it is a tf.Variable). */
  host(name: string): SparseTable {
    const t = this.vars.get(name);
    if (!(t instanceof SparseTable)) throw new Error(`parameter ${name} is not a host table`);
    return t;
  }

  /** Names of the weights currently held on the host. */
  hostNames(): string[] {
    return [...this.vars].filter(([, v]) => v instanceof SparseTable).map(([n]) => n);
  }

  /** While bound, `get(name)` returns `local` (a host table's batch rows). */
  bind(name: string, local: tf.Variable): void {
    if (!(this.vars.get(name) instanceof SparseTable)) throw new Error(`only host tables can be bound, ${name} is not one`);
    this.bound.set(name, local);
  }

  unbind(name: string): void {
    this.bound.delete(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Values of every weight as plain arrays, keyed by name (for export and checkpoints). */
  async snapshot(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.vars) {
      out.set(name, v instanceof SparseTable ? { shape: [v.rows, v.dim], data: v.copy() } : { shape: v.shape, data: (await v.data()) as Float32Array });
    }
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) if (!(v instanceof SparseTable)) v.dispose();
    this.bound.clear();
    this.vars.clear();
  }
}
