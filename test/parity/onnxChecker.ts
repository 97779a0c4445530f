/** onnx.checker through a python that has the `onnx` package (Debian's python3-onnx: /usr/bin/python3). */
import { execFileSync } from 'node:child_process';

function findPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import onnx'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next one
    }
  }
  console.warn('onnx.checker tests skipped: no python3 with the onnx package (apt-get install python3-onnx)');
  return undefined;
}

export const ONNX_PYTHON = findPython();

/** Runs the full checker on a file; returns "ok <ir_version> <opset>" or throws with the checker's message. */
export function checkOnnx(file: string): string {
  if (!ONNX_PYTHON) throw new Error('no python3 with onnx');
  const script = 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print("ok", m.ir_version, m.opset_import[0].version)';
  return execFileSync(ONNX_PYTHON, ['-c', script, file]).toString().trim();
}
