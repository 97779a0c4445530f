/** A model ready to score: its manifest, feature contract and session (worker registry, browser Scorer). */
import type { FeatureContract } from '../../contract/featureContract.js';
import type { ModelManifest } from '../../contract/manifest.js';
import type { ScoringSession } from '../runtime/scoringSession.js';
import type { ItemRowStore } from '../rows/itemRowStore.js';

export interface LoadedModel {
  manifest: ModelManifest;
  contract: FeatureContract;
  session: ScoringSession;
  /** The item row store, for models whose item rows live outside the graph (contract/itemRows.ts). */
  rows?: ItemRowStore;
  /** Milliseconds from the first request to a usable session. */
  loadMs: number;
  /** Where `loadMs` went: assets read + manifest parsed + sha256 verified, contract built, ORT session created. */
  loadBreakdownMs: { assets: number; contract: number; session: number };
}

