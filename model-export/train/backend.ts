/**
 * Backend chain, chosen at run time: tfjs-node-gpu (CUDA) → tfjs-node → wasm → cpu.
 * The native packages are NOT dependencies (their installs download libtensorflow, which fails
 * offline); on a machine that has them, `npm i --no-save @tensorflow/tfjs-node-gpu` (or
 * tfjs-node) is enough for this chain to pick them up.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ pkg); // registers the 'tensorflow' backend
    return (await tf.setBackend('tensorflow')) === true;
  } catch {
    return false;
  }
}

/** Select the first backend that works (or `wanted`), log it, and return its name. */
export async function selectBackend(wanted?: BackendName, log: (line: string) => void = console.error): Promise<BackendName> {
  const candidates = wanted ? [wanted] : BACKEND_PREFERENCE;
  for (const name of candidates) {
    let ok = false;
    if (name === 'tensorflow-gpu') ok = await tryNative('@tensorflow/tfjs-node-gpu');
    else if (name === 'tensorflow') ok = await tryNative('@tensorflow/tfjs-node');
    else if (name === 'wasm') {
      try {
        await import('@tensorflow/tfjs-backend-wasm');
        ok = await tf.setBackend('wasm');
      } catch {
        ok = false;
      }
    } else ok = await tf.setBackend('cpu');
    if (ok) {
      await tf.ready();
      log(`tfjs backend: ${name}`);
      return name;
    }
  }
  throw new Error(`no tfjs backend available (tried ${candidates.join(', ')})`);
}
