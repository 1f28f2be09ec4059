/**
 * Version-1 saved files, read as version 2 (savedCase.ts), so corpora written before the one format
 * keep replaying:
 *
 *   attnfuzz-failure v1   kind absent or "attention" (an AttentionCase), or "training"; `expect`
 *                         "pass" | "fail" with `verdict.status` and a summary line (attention) or
 *                         `summary` lines (training): "fail" becomes the verdict kind and the
 *                         tensor the summary names; seed/path/backend/versions become `found`
 *   attnfuzz-upstream v1  an op case with `check` "throws" (expectedError: a substring) or
 *                         "wrong-value" (the forward output mismatches), `issue` and `reason`
 *
 * `attnfuzz corpus migrate` is not needed: a v1 file is converted each time it is read.
 */
import { CASE_FILE_VERSION, CASE_FORMAT } from './savedCase.js';

type Json = Record<string, unknown>;

/** The tensor a v1 summary line names: `dv MISMATCH ...`, `cpu: dq NONFINITE ...`, `cpu vs wasm: out DISAGREE ...`. */
function attentionTensorOf(summary: string): string | undefined {
  const m = /^(?:[a-z]+(?: vs [a-z]+)?: )?(\S+) (?:MISMATCH|NONFINITE|SHAPE|DISAGREE)/.exec(summary);
  return m?.[1];
}

/** A v1 training summary line: `dB layers.0.gate FAIL maxAbs=1.1e-1 allowed=... @[1,0]`, or `threw ...`. */
function trainingExpectation(line: string | undefined): Json {
  if (line === undefined) return { kind: 'mismatch' };
  if (line.startsWith('threw ')) return { kind: 'threw' };
  const m = /^(.+?) FAIL maxAbs=(\S+)/.exec(line);
  if (!m) return { kind: 'mismatch' };
  return { kind: m[2] === 'Infinity' ? 'nonfinite' : 'mismatch', tensor: m[1] };
}

function found(o: Json, verdict: string | undefined): Json {
  const v = (o.versions ?? {}) as Json;
  return {
    ...(verdict !== undefined ? { verdict } : {}),
    ...(typeof o.seed === 'number' || o.seed === null ? { seed: o.seed } : {}),
    ...(typeof o.path === 'string' || o.path === null ? { path: o.path } : {}),
    ...(typeof o.backend === 'string' ? { backend: o.backend } : {}),
    ...(typeof v.attnfuzz === 'string' ? { attnfuzz: v.attnfuzz } : {}),
    ...(typeof v.tfjs === 'string' ? { tfjs: v.tfjs } : {}),
  };
}

/** True iff the parsed JSON is a version-1 file this module converts. */
export function isVersion1(o: unknown): o is Json {
  if (typeof o !== 'object' || o === null) return false;
  const f = o as Json;
  return f.version === 1 && (f.format === 'attnfuzz-failure' || f.format === 'attnfuzz-upstream');
}

/** A version-1 file as version 2 (still to be validated by the v2 schema). */
export function migrateVersion1(o: Json): Json {
  const head = { format: CASE_FORMAT, version: CASE_FILE_VERSION };
  if (o.format === 'attnfuzz-upstream') {
    const c = {
      version: 1,
      kind: 'upstream',
      op: o.op,
      inputs: o.inputs,
      attrs: o.attrs,
      backward: o.check === 'throws',
    };
    const expect =
      o.check === 'throws'
        ? { kind: 'threw', ...(typeof o.expectedError === 'string' ? { message: o.expectedError } : {}) }
        : { kind: 'mismatch', tensor: 'out' };
    return {
      ...head,
      kind: 'upstream',
      case: c,
      ...(o.backends !== undefined ? { backends: o.backends } : {}),
      expect,
      reason: o.reason,
      ...(typeof o.issue === 'string' ? { link: o.issue } : {}),
    };
  }
  const kind = o.kind ?? 'attention';
  const fail = o.expect === 'fail';
  let expect: Json = { kind: 'pass' };
  let verdict: string | undefined;
  if (kind === 'training') {
    const summary = Array.isArray(o.summary) ? (o.summary as string[]) : [];
    verdict = summary[0];
    if (fail) expect = trainingExpectation(summary[0]);
  } else {
    const v = (o.verdict ?? {}) as Json;
    verdict = typeof v.summary === 'string' ? v.summary : undefined;
    if (fail) {
      const tensor = verdict !== undefined ? attentionTensorOf(verdict) : undefined;
      expect = { kind: v.status, ...(tensor !== undefined && v.status !== 'threw' ? { tensor } : {}) };
    }
  }
  return {
    ...head,
    kind,
    case: o.case,
    kernel: o.kernel,
    ...(o.backends !== undefined ? { backends: o.backends } : {}),
    expect,
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    found: found(o, verdict),
  };
}
