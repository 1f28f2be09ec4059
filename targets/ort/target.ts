/**
 * The `ort:` prefix of `--kernel` (src/runner/registry.ts TARGETS): the spec's rest names the op,
 *
 *   ort:attention        ONNX Attention, opset 24          ort:attention@23   opset 23
 *   ort:mha              com.microsoft MultiHeadAttention  ort:gqa            com.microsoft GroupQueryAttention
 *   ...+known            also draw the forms of known upstream issues (known.ts), to see whether they still reproduce
 *
 * and `--device` the execution provider: cpu (default), cuda (cuda:N for device N) through
 * onnxruntime-node; webgpu through ONNX Runtime Web in headless Chromium (pageSessions.ts).
 */
import type { HostKernel } from '../../src/contract/index.js';
import type { AttentionOpset } from './attention.js';
import { ORT_OPS, type OrtOp, ortKernel } from './kernel.js';
import type { ExecutionProvider } from './sessions.js';

export const ORT_TARGET_DESCRIBE =
  "ONNX Runtime's attention ops through onnxruntime-node: ort:attention[@23|@24], ort:mha, ort:gqa (+known: also " +
  'the forms of known upstream issues); --device cpu|cuda|webgpu picks the execution provider (webgpu: ONNX ' +
  'Runtime Web in headless Chromium)';

/** The op, opset and flags a spec names; throws one line naming what was expected. */
export function parseOrtSpec(rest: string): { op: OrtOp; opset: AttentionOpset; drawKnown: boolean } {
  const m = /^([a-z]+)(?:@(\d+))?(\+known)?$/.exec(rest);
  const op = m?.[1] as OrtOp | undefined;
  if (!m || !op || !ORT_OPS.includes(op))
    throw new Error(`unknown ONNX Runtime op '${rest}'; expected ${ORT_OPS.map((o) => `ort:${o}`).join(', ')}`);
  const opset = Number(m[2] ?? 24);
  if (m[2] !== undefined && (op !== 'attention' || (opset !== 23 && opset !== 24)))
    throw new Error(`'@${m[2]}': only ort:attention takes an opset, 23 or 24`);
  return { op, opset: opset as AttentionOpset, drawKnown: m[3] !== undefined };
}

/** The execution provider of `--device` (cuda:N keeps only the provider: ORT picks device 0 unless configured). */
export function executionProvider(device: string | undefined): ExecutionProvider {
  const ep = (device ?? 'cpu').split(':')[0]!;
  if (ep !== 'cpu' && ep !== 'cuda' && ep !== 'webgpu')
    throw new Error(`--device ${device}: ONNX Runtime's execution providers here are cpu, cuda, webgpu`);
  return ep;
}

/** `ort:<rest>` as a host kernel. */
export function ortTarget(
  rest: string,
  o: { readonly device?: string; readonly timeoutMs?: number },
): Promise<HostKernel> {
  const { op, opset, drawKnown } = parseOrtSpec(rest);
  const timeout = o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {};
  return ortKernel(op, { ep: executionProvider(o.device), opset, forms: { drawKnown }, ...timeout });
}
