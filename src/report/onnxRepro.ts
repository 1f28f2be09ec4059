/**
 * `attnfuzz export --onnx CASE`: a saved case run through an ort:* target as a repro that needs no
 * attnfuzz, the way a user files it upstream:
 *
 *   model.onnx     the one-node model the target ran (its forms: which optional inputs, mask kind, ...)
 *   inputs.json    the feeds by name: dtype, dims, data (float16 as bits, NaN as null)
 *   expected.json  the float64 expected output in the contract's layout [B, H, S, Dv], the allowance
 *                  (attnfuzz's error model for this case) and how to read Y (its name and layout)
 *   repro.mjs      about 25 lines of Node: onnxruntime-node, prints the worst |Y - expected| and the verdict
 *   repro.py       the same for the onnxruntime Python package
 *   README.md      the case, what was found, the forms, the versions
 */
import type { HostTensor } from '../contract/index.js';
import { NODE_SCRIPT, PYTHON_SCRIPT } from './onnxTemplates.js';

/** What an ort target hands the exporter (its `onnxRepro`), all plain data. */
export interface OnnxReproParts {
  readonly op: string;
  readonly model: Uint8Array;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly dims: readonly number[];
    /** float32: NaN as null, ±Infinity as 'Infinity' / '-Infinity' (targets/ort/plan.ts jsonNumber). */
    readonly data: readonly (number | string | null)[];
  }[];
  readonly output: {
    readonly name: string;
    readonly layout: 'BHSD' | 'BSH';
    readonly B: number;
    readonly H: number;
    readonly S: number;
    readonly F: number;
    readonly Dv: number;
  };
  readonly forms: string;
  readonly runtime: string;
  readonly ep: string;
}

export interface OnnxReproInput {
  readonly parts: OnnxReproParts;
  /** The float64 reference out [B, H, S, Dv]. */
  readonly expected: HostTensor;
  /** The largest |Y - expected| the oracle allows this case. */
  readonly allowed: number;
  readonly kernel: string;
  readonly source: string;
  readonly caseJson: string;
  /** The verdict lines as found (or '(not recorded)'). */
  readonly found: string;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

function readme(r: OnnxReproInput): string {
  return [
    `# ${r.parts.op}: repro exported by attnfuzz from ${r.source}`,
    '',
    `Target ${r.kernel}, ${r.parts.runtime}, execution provider ${r.parts.ep}.`,
    '',
    '    node repro.mjs      # npm install onnxruntime-node',
    '    python3 repro.py    # pip install onnxruntime numpy',
    '',
    'Each prints the largest |Y - expected| (Y put in the layout [B, H, S, Dv]), where, and whether it is over',
    "the allowance (attnfuzz's error model for this case; a correct float32 kernel is far below it).",
    '',
    `Forms drawn for this call: ${r.parts.forms || '(none)'}`,
    '',
    'What attnfuzz found:',
    '',
    ...r.found.split('\n').map((l) => `    ${l}`),
    '',
    'The case (attnfuzz-case):',
    '',
    `    ${r.caseJson}`,
    '',
  ].join('\n');
}

/** The files of the repro, by name. */
export function onnxReproFiles(r: OnnxReproInput): Map<string, string | Uint8Array> {
  const expected = {
    op: r.parts.op,
    ep: r.parts.ep,
    output: r.parts.output,
    allowed: r.allowed,
    shape: r.expected.shape,
    out: Array.from(r.expected.data, finiteOrNull),
  };
  return new Map<string, string | Uint8Array>([
    ['model.onnx', r.parts.model],
    ['inputs.json', `${JSON.stringify(r.parts.inputs)}\n`],
    ['expected.json', `${JSON.stringify(expected)}\n`],
    ['repro.mjs', NODE_SCRIPT],
    ['repro.py', PYTHON_SCRIPT],
    ['README.md', readme(r)],
  ]);
}
