/** Worker entry: one app, hence one model registry and one ORT session, per isolate. */
import { createApp } from './app.js';

export default createApp();
