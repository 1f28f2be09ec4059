/**
 * The signature of a saved case: the one it carries (campaigns write it), or one read from the
 * file for cases saved without it (`check`, hand-written, version 1): the kernel from `kernel`,
 * the kind and tensor from `expect` when it names a failure, else from the verdict line in
 * `found` (`[backend: ]dq MISMATCH ...`, `THREW in backward: ...`, `cpu vs wasm: out DISAGREE ...`),
 * the features from the case. Nothing is re-run.
 */
import { featuresOf } from './features.js';
import type { SavedCase } from './savedCase.js';
import type { CorpusEntry } from './scan.js';
import { FINDING_KINDS, type FindingKind, messageShape, type Signature } from './signature.js';

/** The pass a tensor comes from, by name: gradients are named d<Tensor>. */
const passOf = (tensor: string): 'forward' | 'backward' => (/^d[A-Za-z]/.test(tensor) ? 'backward' : 'forward');

function fromLine(line: string): Pick<Signature, 'kind' | 'tensor' | 'pass' | 'detail' | 'backend'> | null {
  let m = /^(?:(cpu|wasm|tensorflow): )?(.+?) (MISMATCH|NONFINITE|SHAPE)\b/.exec(line);
  if (m)
    return {
      kind: m[3]!.toLowerCase() as FindingKind,
      tensor: m[2]!,
      pass: passOf(m[2]!),
      ...(m[1] ? { backend: m[1] } : {}),
    };
  m = /^(?:(cpu|wasm|tensorflow): )?THREW in (forward|backward): (.*)$/.exec(line);
  if (m)
    return {
      kind: 'threw',
      pass: m[2] as 'forward' | 'backward',
      detail: messageShape(m[3]!),
      ...(m[1] ? { backend: m[1] } : {}),
    };
  m = /^\S+ vs \S+: (.+?) DISAGREE\b/.exec(line);
  if (m) return { kind: 'disagree', tensor: m[1]! };
  m = /^(LEAK|TIMEOUT|CRASH|NONDETERMINISTIC)\b/.exec(line);
  if (m) return { kind: m[1]!.toLowerCase() as FindingKind };
  return null;
}

export function kernelLabelOf(saved: SavedCase): string {
  if (saved.case.kind === 'upstream') return `tfjs ${saved.case.op}`;
  const ref = saved.kernel;
  return ref === undefined ? '?' : 'builtin' in ref ? ref.builtin : 'target' in ref ? ref.target : ref.module;
}

export function signatureOfSaved(saved: SavedCase): Signature {
  if (saved.signature) return saved.signature;
  const e = saved.expect;
  const read =
    e.kind !== 'pass' && (FINDING_KINDS as readonly string[]).includes(e.kind)
      ? { kind: e.kind as FindingKind, ...(e.tensor ? { tensor: e.tensor, pass: passOf(e.tensor) } : {}) }
      : (fromLine(saved.found?.verdict ?? '') ?? { kind: 'mismatch' as const });
  // Built-in flash runs the case's blocks; a module's declared tiles are not known without loading it.
  const tiles =
    saved.kernel !== undefined && 'builtin' in saved.kernel && saved.kernel.builtin === 'flash' ? 'case' : undefined;
  return { kernel: kernelLabelOf(saved), suite: saved.kind, ...read, features: featuresOf(saved.case, tiles) };
}

/** The signatures of a scanned folder's cases, with their files and verdict lines. */
export function signaturesOfCorpus(
  entries: readonly CorpusEntry[],
): Array<{ signature: Signature; file: string; summary: string }> {
  return entries.map((e) => ({
    signature: signatureOfSaved(e.saved),
    file: e.file,
    summary: e.saved.found?.verdict ?? '',
  }));
}
