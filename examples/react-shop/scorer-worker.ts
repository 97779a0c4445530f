// The library's Web Worker, bundled by the app as a file of its own (Scorer.load({ thread: 'worker', workerUrl })).
import 'interest-edge/browser/worker';
