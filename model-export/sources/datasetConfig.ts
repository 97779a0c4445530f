/**
 * The dataset config: a JSON file (docs/data-sources.md) that says what the defaults cannot guess
 * about a team's log — which events are positives, how to split, history length, min counts,
 * where negatives come from. Every field is optional; command-line flags override it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
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
  })
  .strict();

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
