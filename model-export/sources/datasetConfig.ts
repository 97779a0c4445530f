/**
 * The dataset config: a JSON file (docs/data-sources.md) that says what the defaults cannot guess
 * about a team's log — which events are positives, how to split, history length, min counts,
 * where negatives come from. Every field is optional; command-line flags override it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DERIVED_FEATURES, FEATURE_GROUPS, FEATURE_KINDS } from '../../contract/features.js';
import { isTimeZone } from '../../contract/timeContext.js';
import { PROTOCOLS } from '../samples/protocols.js';

export const SOURCE_NAMES = ['movielens', 'amazon', 'taobao', 'personalize'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Which rows are a label's events: EVENT_TYPE in the list (all when absent), EVENT_VALUE ≥ the threshold. */
const eventFilter = z
  .object({
    eventTypes: z.array(z.string().min(1)).min(1).optional(),
    minEventValue: z.number().finite().optional(),
  })
  .strict();

export const splitSchema = z.discriminatedUnion('by', [
  z
    .object({
      by: z.literal('user'),
      /** Share of users held out (default 0.2). */
      testFraction: z.number().gt(0).lt(1).default(0.2),
      /** `hash` (any ids): SHA-256 of the id; `modulo`: numeric ids, id mod round(1/testFraction) == 0 (the shipped MovieLens split). */
      assign: z.enum(['hash', 'modulo']).default('hash'),
    })
    .strict(),
  z
    .object({
      by: z.literal('time'),
      /** Behaviours in the last N days of the log are test samples (with their full history). */
      lastDays: z.number().positive(),
    })
    .strict(),
]);
export type SplitConfig = z.infer<typeof splitSchema>;

/**
 * A feature column (docs/data-sources.md "Feature columns"): a users.csv (group user), items.csv
 * (candidate) or interactions.csv (context) column, or a derived context (`hour`, `weekday`,
 * `route` = the page slot, read from `column` in training and the route name at serving).
 */
export const featureDeclarationSchema = z
  .object({
    group: z.enum(FEATURE_GROUPS),
    column: z.string().min(1).optional(),
    derive: z.enum(DERIVED_FEATURES).optional(),
    /** Request key and graph-input suffix; default: the column lower-cased (`_` for other characters), or `hour`/`weekday`/`pid`. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lowercase letter, then lowercase letters, digits or _ (at most 32)')
      .optional(),
    /** Default: dense when every value is a number, multi when a value holds `|`, else sparse. */
    kind: z.enum(FEATURE_KINDS).optional(),
    /** Embedding width of a sparse/multi feature (default 8). */
    embeddingDim: z.number().int().positive().max(256).optional(),
    /** Values seen fewer times in the training split are OOV (default 2, so OOV is trained). */
    minCount: z.number().int().positive().optional(),
    /** multi: values kept per row (default: the most a training row has, at most 16). */
    maxValues: z.number().int().positive().max(64).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.derive === undefined && f.column === undefined) ctx.addIssue({ code: 'custom', message: 'give a column, or derive: hour, weekday or route' });
    if (f.derive !== undefined && f.group !== 'context') ctx.addIssue({ code: 'custom', path: ['derive'], message: 'derived features belong to the context group' });
    if ((f.derive === 'hour' || f.derive === 'weekday') && f.column !== undefined) ctx.addIssue({ code: 'custom', path: ['column'], message: `${f.derive} is derived from TIMESTAMP: no column` });
    if (f.derive === 'route' && f.column === undefined) ctx.addIssue({ code: 'custom', path: ['column'], message: 'route (pid) needs the interactions.csv column that holds the page slot in training' });
    if (f.derive !== undefined && f.kind !== undefined && f.kind !== 'sparse') ctx.addIssue({ code: 'custom', path: ['kind'], message: 'derived features are sparse' });
  });
export type FeatureDeclaration = z.infer<typeof featureDeclarationSchema>;

export const datasetConfigSchema = z
  .object({
    /** Default `personalize` when `data` is given, else `movielens` (the vendored data). */
    source: z.enum(SOURCE_NAMES).optional(),
    /** Directory (or file, for amazon/taobao) to read; relative to the config file. */
    data: z.string().min(1).optional(),
    /** Model name suffix: models are `<model>-<name>`. Default from the source / the directory name. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes')
      .optional(),
    protocol: z.enum(PROTOCOLS).optional(),
    /** personalize: the items.csv column holding the category (default the first categorical column). */
    category: z.string().min(1).optional(),
    /** The events that are behaviours and positives (personalize; MovieLens' ratings ≥ 4 is `minEventValue: 4`). */
    positive: eventFilter.optional(),
    /**
     * A second label (conversion) for multi-task models: validated and recorded in the manifest;
     * the single-task models of this release do not train on it.
     */
    conversion: eventFilter.optional(),
    split: splitSchema.optional(),
    maxHistory: z.number().int().positive().max(1000).optional(),
    /** Items seen fewer times in the training split are out of vocabulary. */
    minItemCount: z.number().int().positive().optional(),
    /** Users with fewer behaviours are dropped (default 2: one behaviour has no history). */
    minUserBehaviours: z.number().int().min(2).optional(),
    /**
     * A user with more behaviours keeps the most recent ones (strictly after the
     * (maxUserBehaviours+1)-th most recent time: never more; default 100,000): a crawler's
     * millions of events neither dominate training nor decide the out-of-core stream's memory.
     */
    maxUserBehaviours: z.number().int().min(2).optional(),
    negatives: z
      .object({
        /** `auto`: shown-but-not-clicked items where a row has an IMPRESSION, else one sampled item; `sampled` ignores impressions. */
        from: z.enum(['auto', 'sampled']).default('auto'),
        /** Shown-but-not-clicked negatives per positive (default 10). */
        maxPerPositive: z.number().int().positive().default(10),
      })
      .strict()
      .optional(),
    /** Share of malformed rows tolerated per file (default 0.01). */
    maxMalformedFraction: z.number().min(0).max(1).optional(),
    /** Feature columns beyond the behaviour sequence (user profile, candidate attributes, context). */
    features: z.array(featureDeclarationSchema).max(32).optional(),
    /** Zone TIMESTAMPs are read in for the derived hour/weekday (default UTC). */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone name, e.g. "Europe/Paris"').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.maxUserBehaviours !== undefined && c.maxUserBehaviours < (c.minUserBehaviours ?? 2)) {
      ctx.addIssue({ code: 'custom', path: ['maxUserBehaviours'], message: `${c.maxUserBehaviours} is below minUserBehaviours (${c.minUserBehaviours ?? 2}): every user it cuts would be dropped` });
    }
    const names = (c.features ?? []).map(featureName);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['features', i, 'name'], message: `feature name "${n}" is used twice: set name` });
    });
  });

/** A declared feature's name: `name`, else from the column or the derivation. */
export function featureName(f: FeatureDeclaration): string {
  if (f.name !== undefined) return f.name;
  if (f.derive === 'route') return 'pid';
  if (f.derive !== undefined) return f.derive;
  const n = (f.column ?? '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 32);
  return n === '' ? 'feature' : n;
}

export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

/** The file `--data DIR` picks up by itself when present. */
export const DATASET_CONFIG_FILE = 'dataset.json';

/** Parse a config, naming the field and the file on error; `data` becomes relative to the cwd. */
export function readDatasetConfig(file: string): DatasetConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = datasetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${file} is not a valid dataset config: ${why}`);
  }
  const config = parsed.data;
  if (config.data !== undefined && !isAbsolute(config.data)) config.data = join(dirname(file), config.data);
  return config;
}

/** `DIR/dataset.json` when `dir` is a directory holding one. */
export function configBeside(dir: string): string | undefined {
  const file = join(dir, DATASET_CONFIG_FILE);
  return existsSync(file) ? file : undefined;
}
