/**
 * Named weights of one model. Trainable weights are tf.Variables the optimizer updates;
 * state (Dice moving moments) is non-trainable and updated after each step. Exporters read
 * weights by name, so the names are part of each model's export contract.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
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
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    return v;
  }

  trainable(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Values of every weight as plain arrays, keyed by name (for export and checkpoints). */
  async snapshot(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.vars) out.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
