/**
 * Runs in Node before the workerd tests: reads the served model (wrangler.toml's assets dir and
 * the default route of config/routes.json), encodes a few requests with the shared feature contract and scores them with
 * onnxruntime-node. The workerd tests assert the worker (onnxruntime-web in workerd) returns the
 * same scores (≤ 1e-5). Computed at test time, so nothing goes stale when the model changes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { TestProject } from 'vitest/node';
import { unstable_readConfig } from 'wrangler';
import { OOV_INDEX, type BehaviourRef, type RawId } from '../../contract/featureContract.js';
import { contractOf, modelManifestSchema, SERVING_OUTPUTS, TASK_OUTPUTS } from '../../contract/manifest.js';
import type { FeatureSpec } from '../../contract/features.js';
import { attentionWithOrtNode, scoreWithOrtNode, tasksWithOrtNode } from '../parity/ortNode.js';
import type { ModelFixture, ParityCase, ServedModel } from './fixtureTypes.js';
import { buildExtremesModel } from './extremesModel.js';
import { buildRowsModel } from './rowsModel.js';
import { buildHashedModel } from './hashedModel.js';
import { buildPytorchModel } from './pytorchModel.js';
import { nodeSessionOptions } from '../../model-export/onnx/nodeSessionOptions.js';

export default async function setup(project: TestProject): Promise<void> {
  const configPath = resolve(process.env.WORKERD_TEST_WRANGLER_CONFIG ?? 'wrangler.toml');
  const config = unstable_readConfig({ config: configPath });
  const assetsDir = config.assets?.directory;
  if (!assetsDir) throw new Error(`${configPath} has no [assets] directory`);
  // The model of the default route's control variant (config/routes.json) is "the served model".
  const routes = JSON.parse(readFileSync(resolve('config/routes.json'), 'utf8'));
  const modelName: string = routes.routes[routes.defaultRoute].variants[0].model;
  // Every model shipped in the assets directory gets reference scores; the served one is also
  // provided under its own keys for the tests of the default configuration.
  const names = readdirSync(resolve(assetsDir)).filter((n) => existsSync(join(resolve(assetsDir), n, 'manifest.json')));
  const byModel: Record<string, ModelFixture> = {};
  for (const name of names) byModel[name] = await modelFixture(join(resolve(assetsDir), name));
  const served = byModel[modelName];
  if (!served) throw new Error(`served model ${modelName} is not in ${assetsDir}`);
  project.provide('parityCases', served.parityCases);
  project.provide('servedModel', served.servedModel);
  project.provide('modelFixtures', byModel);
  project.provide('extremesModel', await buildExtremesModel());
  project.provide('rowsModel', await buildRowsModel());
  project.provide('hashedModel', await buildHashedModel());
  project.provide('pytorchModel', await buildPytorchModel());
}

async function modelFixture(modelDir: string): Promise<ModelFixture> {
  const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')));
  const contract = contractOf(manifest);
  const session = await ort.InferenceSession.create(join(modelDir, manifest.onnx.file), nodeSessionOptions());

  const items = manifest.featureContract.items;
  const categories = manifest.featureContract.categories;
  const H = contract.maxHistory;
  const pick = (n: number, stride: number, offset = 0) =>
    Array.from({ length: n }, (_, i) => items[(offset + i * stride) % items.length]);
  const asInt = (id: string): RawId => (/^[1-9]\d{0,14}$/.test(id) ? Number(id) : id);
  const unknownIds = (n: number) => Array.from({ length: n }, (_, i) => `unknown-${i}`);
  for (const id of unknownIds(4)) if (contract.itemOf(id) !== OOV_INDEX) throw new Error(`${id} is in the vocabulary`);

  const bodies: Array<Omit<ParityCase, 'expected' | 'candidateIds' | 'unknown'>> = [
    {
      name: 'example from issue 3',
      body: {
        history: ['1196', '260', { item: '99999', category: 'Sci-Fi' }],
        candidates: ['1210', '2571', { item: '123456', category: 'Drama' }],
        topK: 10,
      },
    },
    {
      name: `history longer than H=${H} (truncated), integer and object ids, category hints`,
      body: {
        history: [
          ...pick(H + 20, 7, 3).map(asInt),
          { item: 'unknown-0', category: categories[0] },
          { item: items[5], category: 'not-a-category' },
        ],
        candidates: [
          ...pick(97, 13, 1),
          { item: 'unknown-1', category: categories[categories.length - 1] },
          { item: 'unknown-2' },
          asInt(items[0]),
        ],
      },
    },
    { name: 'empty history', body: { history: [], candidates: pick(50, 31, 11), topK: 5 } },
    {
      name: 'only unknown ids',
      body: {
        history: [{ item: 'unknown-3', category: categories[1] }, 'unknown-0'],
        candidates: ['unknown-1', { item: 'unknown-2', category: categories[2] }],
      },
    },
  ];

  // Models with feature columns: profile and context values (hour/weekday sent explicitly, so the
  // reference does not depend on the clock), an entry the model does not use, attribute hints.
  const features = contract.featureSpecs;
  if (features.length > 0) {
    const valueOf = (f: FeatureSpec): unknown => (f.kind === 'dense' ? f.mean + f.std : f.kind === 'multi' ? f.vocabulary.slice(0, 2) : f.vocabulary[0]);
    const group = (g: string) => Object.fromEntries(features.filter((f) => f.group === g && !('derive' in f.source && f.source.derive === 'route')).map((f) => [f.name, valueOf(f)]));
    const hints = Object.fromEntries(features.filter((f) => f.group === 'candidate').map((f) => [f.name, valueOf(f)]));
    bodies.push(
      {
        name: 'profile and context values, an unused entry, attribute hints',
        body: {
          history: [...pick(12, 5, 2), { item: 'unknown-0', category: categories[0], attributes: hints }],
          candidates: [...pick(30, 11, 4), { item: 'unknown-1', attributes: hints }, { item: 'unknown-2' }],
          profile: { ...group('user'), not_a_feature: 'x' },
          context: { ...group('context'), tz: 'Europe/Paris', unused: 1 },
        },
      },
      {
        name: 'context values only, other values',
        body: {
          history: pick(H + 3, 3, 1),
          candidates: pick(20, 7, 9),
          context: Object.fromEntries(features.filter((f) => f.group === 'context' && f.kind === 'sparse' && !('derive' in f.source && f.source.derive === 'route')).map((f) => [f.name, f.kind === 'sparse' ? f.vocabulary[f.vocabulary.length - 1] : undefined])),
        },
      },
    );
  }

  // Derived hour/weekday would follow the clock: every body of such a model sends them explicitly
  // (the values of time 0 in UTC), so the reference is fixed.
  const clock = features.filter((f) => 'derive' in f.source && (f.source.derive === 'hour' || f.source.derive === 'weekday'));
  if (clock.length > 0) {
    for (const { body } of bodies) body.context = { ...Object.fromEntries(clock.map((f) => [f.name, 'derive' in f.source && f.source.derive === 'hour' ? '0' : 'Thu'])), ...body.context };
  }

  const parityCases: ParityCase[] = [];
  for (const { name, body } of bodies) {
    const history = body.history as Array<RawId | BehaviourRef>;
    const candidates = body.candidates as Array<RawId | BehaviourRef>;
    const h = contract.encodeHistory(history, 'compact');
    const c = contract.encodeCandidates(candidates);
    // Only the route feature (pid) and unsent hour/weekday are derived; the tests serve on route "only".
    const context = body.context as Record<string, unknown> | undefined;
    const r = features.length > 0 ? contract.encodeRequestFeatures({ profile: body.profile as Record<string, unknown> | undefined, context, time: 0, timeZone: typeof context?.tz === 'string' ? context.tz : 'UTC', route: 'only' }) : undefined;
    const scores = await scoreWithOrtNode(session, h, c, r);
    // Multi-task models: every task output, for the response's `tasks`.
    const taskNames = TASK_OUTPUTS.filter((t) => session.outputNames.includes(t));
    const tasks = taskNames.length ? await tasksWithOrtNode(session, h, c, r, taskNames) : undefined;
    // The attention output (equal to tfjs's attentionWeights, test/parity/exportParity.test.ts).
    const attention = session.outputNames.includes(SERVING_OUTPUTS.attention) ? await attentionWithOrtNode(session, h, c, r) : undefined;
    parityCases.push({
      name,
      body,
      expected: Array.from(scores),
      ...(tasks ? { tasks } : {}),
      ...(attention ? { attention: { values: Array.from(attention), T: h.items.length, kept: h.length, start: history.length - h.length } } : {}),
      candidateIds: candidates.map((r) => String(typeof r === 'object' ? r.item : r)),
      unknown: { history: h.unknown, candidates: c.unknown, ...(body.profile ? { profile: r!.unknown.profile } : {}), ...(body.context ? { context: r!.unknown.context } : {}) },
    });
  }
  await session.release();

  const servedModel: ServedModel = {
    name: manifest.name,
    version: manifest.version,
    sha256: manifest.onnx.sha256,
    maxHistory: H,
    vocabularySample: pick(500, 3),
    tasks: TASK_OUTPUTS.filter((t) => manifest.outputs.some((o) => o.name === t)),
    features: features.map((f) => ({
      name: f.name,
      group: f.group,
      kind: f.kind,
      ...('derive' in f.source ? { derived: f.source.derive } : {}),
      ...(f.kind === 'dense' ? {} : { values: f.vocabulary.slice(0, 8) }),
    })),
  };
  return { parityCases, servedModel };
}
