/**
 * Embedding lookup with a scatter gradient.
 *
 * tfjs's own gradient of `gather` is an UnsortedSegmentSum that, on the cpu backend, loops over
 * the whole table per call, and the wasm backend has no kernel for it at all. The gradient of
 * a row lookup is the output gradient scattered (summed) back to the looked-up rows, which is
 * exactly `scatterND` — same values, usable on every backend.
 */
import * as tf from '@tensorflow/tfjs';

/** table [V, D], indices int32 of any shape S → [...S, D]. */
export function embeddingLookup(table: tf.Tensor2D, indices: tf.Tensor): tf.Tensor {
  const [V, D] = table.shape;
  const flat = indices.reshape([-1]) as tf.Tensor1D; // [N]
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([flat]); // kept alive past the enclosing tidy until the backward pass
    const value = tf.gather(t, flat); // [N, D]
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.scatterND(saved[0].expandDims(1), dy as tf.Tensor, [V, D]); // Σ of dy rows per looked-up row
    return { value, gradFunc };
  });
  return (lookup(table) as tf.Tensor).reshape([...indices.shape, D]);
}
