/**
 * Compile-time checks of the library's public types (issue 27), run by `npm run typecheck`
 * (`tsc -p browser`): each `@ts-expect-error` fails the typecheck if the line stops being an error.
 * Nothing here runs.
 */
import type { ScoreInput } from './scorer.js';

export const typeChecks: ScoreInput[] = [
  { history: ['1196', 260, { item: '99999', category: 'Sci-Fi' }], candidates: ['1210'], topK: 10 },
  { candidates: [{ item: '1', bid: 0.4 }], rankBy: 'ecpm', profile: { age: 31 }, context: { tz: 'Europe/Paris' } },
  // @ts-expect-error a misspelt field is a type error
  { histroy: ['1'], candidates: ['2'] },
  // @ts-expect-error candidates are required
  { history: ['1'] },
  // @ts-expect-error rankBy is one of the objectives
  { candidates: ['1'], rankBy: 'revenue' },
];
