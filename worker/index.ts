/** Worker entry: one app, hence one model registry and one ORT session, per isolate. */
import { env } from 'cloudflare:workers';
import { createApp } from './app.js';
import { startOrtRuntime } from './runtime/ort.js';

// ORT's one-time start (wasm instantiation, OrtInit, compiling the code a model load and its first
// run need) when the isolate starts rather than inside the first request; see startOrtRuntime.
// `ORT_START = "first-request"` leaves it to the first model load (an invalid value is reported by
// config.ts on the first request, like every other var).
if ((env as { ORT_START?: string }).ORT_START !== 'first-request') void startOrtRuntime();

export default createApp();
