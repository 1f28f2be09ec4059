/**
 * `attnfuzz export --torch`: a saved attention case as one standalone Python script, the bridge to
 * where most attention kernels live and how a user files a bug upstream:
 *
 *   data        the case's exact tensors as the kernel received them (rounded to the case's dtype,
 *               junk at keys nobody sees), dOut, the float64 answer (attnfuzz's reference on those
 *               very inputs), and what each tensor may differ by (the allowance attnfuzz's oracle
 *               computed for this case: it does not depend on the kernel's output)
 *   kernel      `kernel_under_test(q, k, v, attn_mask, is_causal, scale)`, by default PyTorch's
 *               scaled_dot_product_attention with the case's options mapped onto it: the one
 *               function a user swaps (flash_attn_func, their own CUDA kernel)
 *   harness     forward, backward of sum(out * dOut), and the verdict lines attnfuzz prints
 *
 * Options: a case whose one restriction is causal with top-left semantics (top-left, or either
 * alignment when Sq = Sk) passes attn_mask=None, is_causal=True, as transformers calls SDPA on an
 * unpadded batch (the adapters#721 path); any other restriction (bottom-right causal, window,
 * padding, a mask) is folded into one boolean attn_mask. The score options go in as their own
 * arguments (softcap, alibi_slopes, bias, sinks; None when off); the default kernel maps ALiBi and
 * the bias onto SDPA's float attn_mask and, with a softcap or sinks, which SDPA has not, runs the
 * contract's formula in PyTorch ops. bias and sinks are leaves with gradients: dbias and dsinks are
 * judged like dq. The lse is not (SDPA returns none; attnfuzz judges a kernel's lse). Dropout
 * cannot be exported: PyTorch draws its own mask, so no kernel could drop what the reference dropped.
 */

import type { AttentionCase } from '../case/index.js';
import { type HostTensor, visibilityPattern } from '../contract/index.js';
import type { MaterialisedAttention } from '../data/index.js';
import { type TensorSpec, worstDiff } from '../oracle/index.js';
import { attentionSuite, type KernelUnderTest } from '../runner/index.js';
import { TORCH_HARNESS } from './torchTemplate.js';

/** The case cannot be exported (one line: why). */
export class ExportError extends Error {}

export interface TorchExportInput {
  readonly case: AttentionCase;
  /** The saved file it came from, its signature and the verdict attnfuzz printed, for the header. */
  readonly source: string;
  readonly signature: string;
  readonly found: string;
}

const DTYPES = { float32: 'torch.float32', bfloat16: 'torch.bfloat16', float16: 'torch.float16' } as const;

const py = (x: number) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));
const str = (s: string) => JSON.stringify(s);

/** A flat list of numbers, wrapped to lines of about 100 characters. */
function pyList(data: ArrayLike<number>, indent = '    '): string {
  const lines: string[] = [];
  let line = '';
  for (let n = 0; n < data.length; n++) {
    const item = `${py(data[n]!)}, `;
    if (line.length + item.length > 100) {
      lines.push(indent + line.trimEnd());
      line = '';
    }
    line += item;
  }
  if (line) lines.push(indent + line.trimEnd());
  return `[\n${lines.join('\n')}\n]`;
}

const tensor = (name: string, t: HostTensor, dtype = 'torch.float64') =>
  `${name} = torch.tensor(${pyList(t.data)}, dtype=${dtype}).reshape(${t.shape.join(', ')})`;

export function torchScript(x: TorchExportInput): string {
  const c = exportable(x.case);
  const m = attentionSuite.materialise(c);
  const e = attentionSuite.reference(c, m);
  const none: KernelUnderTest = { label: 'export', ref: { builtin: 'sdpa' } };
  // An optional tensor (the lse) is judged only when a kernel returns it; the script's does not.
  const specs = attentionSuite.specs(none, c, m, e).filter((spec) => spec.optional !== true);
  return [...preamble(x), ...dataLines(c, m), ...answerLines(specs), TORCH_HARNESS].join('\n');
}

/** The case, if it can be exported (an attention case without dropout). */
function exportable(c: TorchExportInput['case']): AttentionCase {
  if (c.kind !== 'attention')
    throw new ExportError(
      `only attention cases can be exported to PyTorch (this is a ${(c as { kind: string }).kind} case)`,
    );
  if (c.dropout !== null && c.dropout.p > 0)
    throw new ExportError(
      'a case with dropout cannot be exported: PyTorch draws its own dropout mask, so no kernel could drop ' +
        'what the reference dropped (replay it with attnfuzz)',
    );
  return c;
}

/** The docstring (where the case came from, how to run it), the imports, the case itself. */
function preamble(x: TorchExportInput): string[] {
  return [
    '#!/usr/bin/env python3',
    `"""attnfuzz repro, exported from ${x.source}`,
    '',
    `  ${x.signature}`,
    `  when found: ${x.found}`,
    '',
    'Run it with PyTorch (CPU is enough): python3 this_file.py. It rebuilds the exact tensors of the',
    'case, runs kernel_under_test forward and backward, and compares every tensor with the float64',
    "answer attnfuzz computed, printing attnfuzz's verdict lines; exit 0 on a pass, 1 on a failure.",
    'Swap kernel_under_test (below the data) for the kernel you want to check.',
    '"""',
    'import math',
    'import sys',
    'from decimal import Decimal',
    '',
    'import torch',
    'import torch.nn.functional as F',
    '',
    `SIGNATURE = ${str(x.signature)}`,
    `FOUND = ${str(x.found)}`,
    `CASE = ${str(JSON.stringify(x.case))}`,
  ];
}

/** The dtype, scale and causal flag, the inputs, the boolean mask and the score options. */
function dataLines(c: AttentionCase, m: MaterialisedAttention): string[] {
  const { shapes: s, options: o } = m;
  const full = (a: ArrayLike<number> | null) => a === null || Array.from(a).every((v) => v !== 0);
  const unpadded = o.keyLengths === null || o.keyLengths.every((l) => l === s.Sk);
  const topLeft = o.causal === 'top-left' || (o.causal === 'bottom-right' && s.Sq === s.Sk);
  const restricted = o.causal !== 'none' || o.window !== null || !unpadded || !full(o.mask?.data ?? null);
  const isCausal = topLeft && o.window === null && unpadded && full(o.mask?.data ?? null);
  const vis = visibilityPattern(o, s);
  return [
    `DTYPE = ${DTYPES[o.precision]}`,
    'DEVICE = "cuda" if torch.cuda.is_available() else "cpu"',
    `SCALE = ${c.scale === null ? 'None' : py(o.scale)}  # None: 1/sqrt(D)`,
    `IS_CAUSAL = ${isCausal ? 'True' : 'False'}`,
    '',
    '# The inputs as the kernel receives them (contract layout, already rounded to DTYPE).',
    tensor('Q', m.inputs.q),
    tensor('K', m.inputs.k),
    tensor('V', m.inputs.v),
    tensor('DOUT', m.inputs.dOut),
    isCausal || !restricted
      ? 'ATTN_MASK = None'
      : `ATTN_MASK = torch.tensor(${pyList(vis)}, dtype=torch.bool).reshape(${[s.B, s.Hq, s.Sq, s.Sk].join(', ')})`,
    '# The score options (None: off): softcap c·tanh(s/c), ALiBi slopes, a float bias, sink logits.',
    `SOFTCAP = ${o.softcap == null ? 'None' : py(o.softcap)}`,
    o.alibiSlopes == null ? 'ALIBI_SLOPES = None' : tensor('ALIBI_SLOPES', o.alibiSlopes),
    o.bias == null ? 'BIAS = None' : tensor('BIAS', o.bias),
    o.sinks == null ? 'SINKS = None' : tensor('SINKS', o.sinks),
    '',
  ];
}

/** The float64 answer, each tensor's allowance (with the baseline's error), and the axes of each tensor. */
function answerLines(specs: readonly TensorSpec[]): string[] {
  const out = [
    "# The float64 answer (attnfuzz's reference on exactly these inputs) and what each tensor may differ by.",
    'EXPECTED = {',
  ];
  for (const spec of specs)
    out.push(
      `    ${str(spec.name)}: ([${spec.expected.shape.join(', ')}], ` +
        `${pyList(spec.expected.data, '        ').replace(/\n\]$/, '\n    ]')}),`,
    );
  out.push('}', 'ALLOWED = {');
  for (const spec of specs) {
    const base = spec.baseline ? worstDiff(spec.baseline, spec.expected, spec.weight).error : null;
    const baselineError = base !== null && Number.isFinite(base) ? base : null;
    const a = spec.allowance(baselineError);
    out.push(
      `    ${str(spec.name)}: {"allowed": ${py(a.allowed)}, "floor": ${py(a.floor)}, "baseline": ` +
        `${baselineError === null ? 'None' : py(baselineError)}},`,
    );
  }
  out.push('}', `AXES = {${specs.map((sp) => `${str(sp.name)}: ${JSON.stringify(sp.axes ?? [])}`).join(', ')}}`);
  return out;
}
