/**
 * interest-edge in the browser (docs/browser.md): score with the worker's models and contract in
 * the page, on WebGPU where the browser has it and WASM SIMD otherwise.
 *
 * @example
 * import { Scorer } from 'interest-edge/browser';
 * const scorer = await Scorer.load({ baseUrl: 'https://edge.example.com', model: 'din-movielens' });
 * const { scores } = await scorer.score({ history: ['318', '296'], candidates: ['593', '2571'] });
 */
export { Scorer, ScoreRequestError, type ScorerApi, type BrowserScoreResponse, type ExecutionProviderChoice, type LoadReport, type ScoreInput, type ScoreOptions, type ScorerOptions } from './scorer.js';
export { assignVariant, fetchAssignment, fetchRoutes, RouteScorer, type Assignment, type BrowserRoute } from './routes.js';
export type { OrtBuild } from './ortRuntime.js';
export { sha256Hex } from '../core/models/sha256.js';
