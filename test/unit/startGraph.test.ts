import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../model-export/onnx/graphBuilder.js';
import { START_GRAPH_BASE64, START_GRAPH_INPUT } from '../../worker/runtime/startGraph.js';

describe('the graph that starts ORT at isolate start', () => {
  it('is what GraphBuilder builds for y = sigmoid(x · w)', () => {
    const g = new GraphBuilder('ort-start');
    const x = g.input(START_GRAPH_INPUT.name, 'float32', [...START_GRAPH_INPUT.dims]);
    g.output(g.op('Sigmoid', [g.op('MatMul', [x, g.float32('w', new Float32Array([0.25, 0.25, 0.25, 0.25]), [4, 1])])]), 'y', 'float32', [1, 1]);
    const bytes = g.toBytes('starts the ORT runtime at isolate start (worker/runtime/ort.ts startOrtRuntime)');
    expect(Buffer.from(bytes).toString('base64')).toBe(START_GRAPH_BASE64);
  });

  it('loads and runs in onnxruntime', async () => {
    const session = await ort.InferenceSession.create(Buffer.from(START_GRAPH_BASE64, 'base64'));
    const [n, k] = START_GRAPH_INPUT.dims;
    const out = await session.run({ [START_GRAPH_INPUT.name]: new ort.Tensor('float32', new Float32Array(n * k).fill(1), [n, k]) });
    expect(out.y.data[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
  });
});
