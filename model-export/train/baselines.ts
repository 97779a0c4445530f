/**
 * Scorers without a model, evaluated on a run's test split: `npm run train -- --model <kind>`
 * prints their metrics, and an experiment's table lists the ones its config names (`baselines`).
 */
import type { Protocol } from '../samples/protocols.js';
import { itemMeanBaseline } from './itemMean.js';
import type { PreparedData } from './pipeline.js';
import { popularityBaseline } from './popularity.js';

export const BASELINE_KINDS = ['popularity', 'item-mean'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

export const BASELINES: Readonly<Record<BaselineKind, { label: string; description: string; protocols?: readonly Protocol[]; evaluate(data: PreparedData): { auc: number; gauc: number } }>> = {
  popularity: {
    label: 'popularity (no training)',
    description: 'training counts: the more often the training split touched an item, the higher it scores',
    evaluate: (data) => popularityBaseline(data.test),
  },
  'item-mean': {
    label: 'item mean rating (no training)',
    description: "the item's mean training rating, unseen items the global mean",
    // Only there is the candidate the rated behaviour itself, and the label a threshold on its rating.
    protocols: ['rating'],
    evaluate: itemMeanBaseline,
  },
};

/** Why `kind` cannot score `protocol`, or undefined when it can. */
export function baselineUnsupported(kind: BaselineKind, protocol: Protocol): string | undefined {
  const protocols = BASELINES[kind].protocols;
  return protocols && !protocols.includes(protocol) ? `the ${kind} baseline applies to the protocol${protocols.length > 1 ? 's' : ''} ${protocols.join(', ')}, not ${protocol}` : undefined;
}
