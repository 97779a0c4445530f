import { env, exports } from 'cloudflare:workers';
import type { ErrorBody } from '../../core/errors.js';
import type { ScoreResponse } from '../../core/schema/score.schema.js';

export const BASE = 'https://worker.test';

/** A request through the worker's real fetch entry (same isolate as the test). */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export function postScore(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call('/v1/score', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * A 200 response's body without its `assignment` (the signed token differs on every response: it
 * carries a random id), so responses to equal requests compare equal. Tokens: assignmentTokens.test.ts.
 */
export async function scoreOk(body: unknown): Promise<Omit<ScoreResponse, 'assignment'>> {
  const res = await postScore(body);
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  const { assignment, ...rest } = (await res.json()) as ScoreResponse;
  if (!assignment?.token.startsWith('v1.')) throw new Error('a score response without an assignment token');
  return rest;
}

/** Asserts the one error shape and returns it. */
export async function errorOf(res: Response): Promise<ErrorBody['error'] & { status: number }> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) throw new Error(`error response is not JSON (${type}): ${await res.text()}`);
  const body = (await res.json()) as ErrorBody;
  if (!body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string' || !Array.isArray(body.error.issues)) {
    throw new Error(`not the error shape: ${JSON.stringify(body)}`);
  }
  return { status: res.status, ...body.error };
}

export { env };

/**
 * Bindings whose ASSETS serve an exported fixture model (manifest + ONNX, handed over by globalSetup)
 * in front of the real assets: `<name>/manifest.json` and `<name>/<onnxFile>`.
 */
export function bindingsWithModel(fixture: { name: string; manifest: string; onnxFile: string; onnxBase64: string }): typeof env {
  return bindingsWithFiles(
    new Map<string, Uint8Array>([
      [`/${fixture.name}/manifest.json`, new TextEncoder().encode(fixture.manifest)],
      [`/${fixture.name}/${fixture.onnxFile}`, Uint8Array.from(atob(fixture.onnxBase64), (ch) => ch.charCodeAt(0))],
    ]),
  );
}

/** Bindings whose ASSETS serve these files (asset path → bytes) in front of the real assets. */
export function bindingsWithFiles(files: ReadonlyMap<string, Uint8Array>): typeof env {
  const assets = {
    fetch: async (input: RequestInfo | URL) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const file = files.get(url.pathname);
      return file ? new Response(file) : env.ASSETS.fetch(input as Request);
    },
  } as unknown as Fetcher;
  return { ...env, ASSETS: assets };
}
