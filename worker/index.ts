/** Worker entry: one app, hence one model registry and one ORT session, per isolate. */
import { createApp } from './app.js';
import { startOrtRuntime } from './runtime/ort.js';

// ORT's one-time start (wasm instantiation, OrtInit, first session) at isolate start rather than in
// the first request; see startOrtRuntime.
void startOrtRuntime();

export default createApp();
