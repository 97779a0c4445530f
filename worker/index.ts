/** Worker entry: one app, hence one model registry and one ORT session, per isolate. */
import { env } from 'cloudflare:workers';
import { createApp } from './app.js';
import { startGraphKindsOf, startOrtRuntime } from './runtime/ort.js';

// `ORT_START = "isolate"`: ORT's one-time start (wasm instantiation, OrtInit, compiling the code a
// model load and its first run need) when the isolate starts rather than inside the first request.
// Opt-in, because it costs start-up CPU, which Workers cap at 1 s (docs/worker.md). An invalid
// value is reported by config.ts on the first request, like every other var.
// `ORT_START_GRAPHS` (comma-separated kinds, default all) limits the start to the kinds the routes serve.
const vars = env as { ORT_START?: string; ORT_START_GRAPHS?: string };
if (vars.ORT_START === 'isolate') void startOrtRuntime(startGraphKindsOf(vars.ORT_START_GRAPHS));

export default createApp();
