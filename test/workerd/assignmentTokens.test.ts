/**
 * Issue 24, item 2: A/B records nobody can forge. Every score response and every page assignment
 * carries a token the worker signed (route, variant, bucket, keyed unit hash, model version,
 * objective, expiry); `POST /v1/exposures/:route` accepts only such a token, takes every
 * experiment field from it, clamps latency and records one exposure per token and page view.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app.js';
import { assign, unitKeyOf } from '../../core/experiments/assignment.js';
import { signAssignment, verifyAssignment } from '../../core/experiments/assignmentToken.js';
import type { ExposureRecord, LogRecord } from '../../worker/experiments/exposureLog.js';
import type { AssignmentResponse } from '../../core/schema/assignments.schema.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';
import { BASE, env, errorOf } from './helpers.js';

const records: LogRecord[] = [];
/** base64url's alphabet: the tag's last character is one of A, Q, g, w (4 zero bits); the next one decodes to the same bytes. */
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const app = createApp({ exposureSink: { write: (r) => void records.push(r) } });
const SECRET = env.ASSIGNMENT_TOKEN_SECRET!;

async function send(path: string, body: unknown, bindings: object = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}
async function assignment(unitId: string, route = 'home'): Promise<AssignmentResponse> {
  const res = await send(`/v1/assignments/${route}`, { unitHash: await unitKeyOf(unitId) });
  if (res.status !== 200) throw new Error(`assignment: ${res.status} ${await res.text()}`);
  return res.json();
}
const exposures = () => records.filter((r): r is ExposureRecord => r.kind === 'exposure' && r.unitSource === 'browser');
const report = (token: string, extra: object = {}) => send('/v1/exposures/home', { token, pageView: 'pv-0000001', candidates: 40, latencyMs: 3.5, executionProvider: 'wasm', ...extra });

describe('assignment tokens', () => {
  it('POST /v1/assignments/:route assigns from the unit key alone — the same variant as POST /v1/score for the same unit — and signs it', async () => {
    for (const unit of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      const a = await assignment(unit);
      const scored = (await (await send('/v1/score/home', { user: unit, candidates: ['1', '2'] })).json()) as ScoreResponse;
      expect(a.variant).toBe(scored.variant);
      const routes = (await import('../../worker/experiments/defaultRoutes.js')).DEFAULT_ROUTES;
      expect(a.bucket).toBe((await assign(routes.routes.get('home')!, await unitKeyOf(unit))).bucket);
      const claims = await verifyAssignment(SECRET, a.assignment.token, 'home');
      expect(claims).toMatchObject({ ok: true, claims: { r: 'home', v: a.variant, b: a.bucket, m: a.model.name, mv: a.model.version, o: a.rankBy } });
      expect(a.model.version).toMatch(/^\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}$/);
      // the score response's own token verifies for its route too
      expect((await verifyAssignment(SECRET, scored.assignment.token, 'home')).ok).toBe(true);
    }
    expect(await errorOf(await send('/v1/assignments/home', { unitHash: 'alice' }))).toMatchObject({ status: 400, issues: [{ path: 'unitHash' }] });
    expect(await errorOf(await send('/v1/assignments/browse', { unitHash: 'a'.repeat(64) }))).toMatchObject({ status: 404 });
  });

  it('an exposure with a valid token is recorded with variant, model version, objective, bucket and unit from the token; latency clamped', async () => {
    records.length = 0;
    const a = await assignment('grace');
    const res = await report(a.assignment.token, { latencyMs: 600_000 });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-exposure')).toBe('recorded');
    const [r] = exposures();
    const claims = (await verifyAssignment(SECRET, a.assignment.token, 'home')) as { ok: true; claims: { u: string } };
    expect(r).toMatchObject({ route: 'home', variant: a.variant, model: a.model.name, modelVersion: a.model.version, objective: a.rankBy, bucket: a.bucket, unitHash: claims.claims.u, candidates: 40, latencyMs: 60_000, unitSource: 'browser', executionProvider: 'wasm' });
    expect(r.idempotencyKey).toMatch(/^[A-Za-z0-9_-]{16}$/); // the token id: one exposure per token
  });

  it('the red team’s forgeries are refused and store nothing: invented unit hash, made-up version with a newline, rankBy for a click-only model, no token', async () => {
    records.length = 0;
    const forged = { variant: 'dien', modelVersion: 'v1\nINJECTED', unitHash: 'f'.repeat(64), bucket: 9000, candidates: 40, latencyMs: 600000, executionProvider: 'webgpu', rankBy: 'ecpa' };
    const e = await errorOf(await send('/v1/exposures/home', forged));
    expect(e.status).toBe(400);
    expect(e.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['token', 'pageView']));
    // a real token cannot carry the forged fields either: they are unknown keys
    const a = await assignment('heidi');
    const smuggled = await errorOf(await report(a.assignment.token, { variant: 'dien', modelVersion: 'x', rankBy: 'ecpa' }));
    expect(smuggled.status).toBe(400);
    expect(exposures()).toHaveLength(0);
  });

  it('tampered, foreign, expired and other-route tokens are refused with a 400 naming token', async () => {
    records.length = 0;
    const a = await assignment('ivan');
    const [prefix, payload, signature] = a.assignment.token.split('.');
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    const swapped = btoa(JSON.stringify({ ...claims, v: claims.v === 'dien' ? 'control' : 'dien' })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const cases: Array<[string, string, string]> = [
      ['payload edited (variant swapped)', `${prefix}.${swapped}.${signature}`, 'bad_signature'],
      ['signed with another secret', (await signAssignment('another-secret-0123456789abcdef0123456', { ...claims, id: undefined })).token, 'bad_signature'],
      ['expired', (await signAssignment(SECRET, { ...claims, exp: Math.floor(Date.now() / 1000) - 1 })).token, 'expired'],
      ['for another route', (await signAssignment(SECRET, { ...claims, r: 'ads' })).token, 'wrong_route'],
      ['not a token', 'hello', 'malformed'],
      ['truncated signature', a.assignment.token.slice(0, -4), 'malformed'],
      // The tag's last character carries 4 unused bits: another spelling of the same bytes is refused.
      ['another spelling of the tag', a.assignment.token.slice(0, -1) + B64URL[B64URL.indexOf(a.assignment.token.at(-1)!) + 1], 'malformed'],
    ];
    for (const [why, token, problem] of cases) {
      const err = await errorOf(await report(token));
      expect(err, why).toMatchObject({ status: 400, issues: [{ path: 'token', message: problem }] });
    }
    expect(exposures()).toHaveLength(0);
  });

  it('one exposure per token: replays, and other page view ids under the same token, are accepted (204) and not recorded again', async () => {
    records.length = 0;
    const a = await assignment('judy');
    for (let i = 0; i < 5; i++) expect((await report(a.assignment.token)).status).toBe(204);
    expect(exposures()).toHaveLength(1);
    const again = await report(a.assignment.token);
    expect(again.headers.get('x-exposure')).toBe('duplicate');
    const other = await report(a.assignment.token, { pageView: 'pv-0000002' });
    expect(other.headers.get('x-exposure')).toBe('duplicate');
    expect(exposures()).toHaveLength(1);
    // a new page view gets a new assignment, hence a new token: recorded
    expect((await report((await assignment('judy')).assignment.token)).headers.get('x-exposure')).toBe('recorded');
    expect(exposures()).toHaveLength(2);
  });

  it('production without ASSIGNMENT_TOKEN_SECRET refuses every request, naming the secret; development generates a key and works', async () => {
    const logged: string[] = [];
    const original = console.error;
    const warn = console.warn;
    console.error = (...args: unknown[]) => void logged.push(args.join(' '));
    console.warn = (...args: unknown[]) => void logged.push(args.join(' '));
    try {
      const prod = await send('/v1/score', { candidates: ['1'] }, { ...env, ASSIGNMENT_TOKEN_SECRET: undefined });
      expect(prod.status).toBe(500);
      expect(logged.join('\n')).toMatch(/ASSIGNMENT_TOKEN_SECRET: required in production/);
      const devEnv = { ...env, ASSIGNMENT_TOKEN_SECRET: undefined, DEPLOYMENT: 'development' };
      const dev = (await (await send('/v1/score/home', { user: 'kim', candidates: ['1'] }, devEnv)).json()) as ScoreResponse;
      expect((await send('/v1/exposures/home', { token: dev.assignment.token, pageView: 'pv-dev-0001', candidates: 1, executionProvider: 'wasm' }, devEnv)).status).toBe(204);
      expect(logged.join('\n')).toMatch(/generated for this isolate/);
    } finally {
      console.error = original;
      console.warn = warn;
    }
  });
});
