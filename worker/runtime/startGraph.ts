/**
 * A four-weight ONNX graph, y = sigmoid(x · w) with x [1, 4], that ORT runs once at isolate start
 * (ort.ts `startOrtRuntime`). It carries no model: its job is to make ORT instantiate its wasm,
 * initialise its environment and create a first session before any request arrives.
 * Built by model-export's GraphBuilder; test/unit/startGraph.test.ts rebuilds it and checks the bytes.
 */
export const START_GRAPH_BASE64 =
  'CAgSDWludGVyZXN0LWVkZ2UaBTAuMS4wMk9zdGFydHMgdGhlIE9SVCBydW50aW1lIGF0IGlzb2xhdGUgc3RhcnQgKHdvcmtlci9ydW50aW1lL29ydC50cyBzdGFydE9ydFJ1bnRpbWUpOscBCiIKAXgKAXcSCG1hdG11bF8wGghNYXRNdWxfMSIGTWF0TXVsCikKCG1hdG11bF8wEglzaWdtb2lkXzEaCVNpZ21vaWRfMiIHU2lnbW9pZAokCglzaWdtb2lkXzESAXkaCnlfaWRlbnRpdHkiCElkZW50aXR5EglvcnQtc3RhcnQqGwgECAEQAUIBd0oQAACAPgAAgD4AAIA+AACAPloTCgF4Eg4KDAgBEggKAggBCgIIBGITCgF5Eg4KDAgBEggKAggBCgIIAUIECgAQEQ==';

export const START_GRAPH_INPUT = { name: 'x', dims: [1, 4] } as const;
