/**
 * Reading a model from Workers static assets: `models/<name>/manifest.json` and the `.onnx` file it
 * names, verified against the manifest's sha256 before anything else sees the bytes.
 */
import { modelManifestSchema, type ModelManifest } from '../../contract/manifest.js';
import '../../core/zod.js';
import { sha256Hex } from '../../core/models/sha256.js';

/** Why a model cannot be served; the message is meant for the log. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export interface VerifiedModelFiles {
  manifest: ModelManifest;
  /** The `.onnx` bytes, sha256-verified. */
  onnx: Uint8Array;
}

/** The assets binding ignores the host; any absolute URL works. */
export const ASSET_ORIGIN = 'https://assets.invalid';

export async function readVerifiedModel(assets: Fetcher, name: string): Promise<VerifiedModelFiles> {
  const manifestPath = `${name}/manifest.json`;
  const manifestText = new TextDecoder().decode(await readAsset(assets, manifestPath));
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (err) {
    throw new ModelLoadError(`${manifestPath} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = modelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelLoadError(`${manifestPath} is not a valid manifest: ${why}`);
  }
  const manifest = parsed.data;
  if (manifest.name !== name) {
    throw new ModelLoadError(`${manifestPath} names model "${manifest.name}", expected "${name}"`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(manifest.onnx.file) || manifest.onnx.file.startsWith('.')) {
    throw new ModelLoadError(`${manifestPath}: onnx.file must be a plain file name, got ${JSON.stringify(manifest.onnx.file)}`);
  }

  const onnxPath = `${name}/${manifest.onnx.file}`;
  const onnx = await readAsset(assets, onnxPath);
  const sha256 = await sha256Hex(onnx);
  if (sha256 !== manifest.onnx.sha256) {
    throw new ModelLoadError(
      `${onnxPath} fails verification: sha256 ${sha256} (${onnx.byteLength} bytes) but the manifest says ` +
        `${manifest.onnx.sha256} (${manifest.onnx.bytes} bytes)`,
    );
  }
  return { manifest, onnx };
}

/** One asset's bytes; ModelLoadError when it cannot be read or is missing. */
export async function readAsset(assets: Fetcher, path: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await assets.fetch(`${ASSET_ORIGIN}/${path}`);
  } catch (err) {
    throw new ModelLoadError(`cannot read asset ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ModelLoadError(`asset ${path} not found (HTTP ${response.status})`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
