/**
 * For the browser tests: whether a backend can run here (a reason to skip, printed, when it cannot:
 * no Chromium, or no WebGPU in it), and one attention case as a host kernel's call, judged.
 */
import { type AttentionCase, CASE_VERSION } from '../../src/case/index.js';
import type { HostAttentionCall, HostAttentionResult, HostTensor } from '../../src/contract/index.js';
import { dropoutKeepPattern } from '../../src/contract/index.js';
import {
  BrowserUnavailableError,
  browserKernel,
  findChromium,
  type PageBackend,
  PageFailure,
} from '../../src/execute/index.js';
import { judge, summarizeVerdict } from '../../src/oracle/index.js';
import { SUITE_OF } from '../../src/runner/index.js';

const attentionSuite = SUITE_OF.attention;

/** null when `backend` runs in this machine's Chromium, else why not (printed by the skipped test). */
export async function browserSkipReason(backend: PageBackend): Promise<string | null> {
  if (findChromium() === null) return 'no chromium on PATH (apt-get install chromium, or set ATTNFUZZ_CHROMIUM)';
  try {
    const k = await browserKernel({ kernel: { builtin: 'sdpa' }, backend });
    await k.close();
    return null;
  } catch (e) {
    // Only a browser that is missing, does not start, or has no such backend skips: a page that
    // cannot be bundled or set up is a failure of attnfuzz, and fails the test file.
    if (e instanceof BrowserUnavailableError || (e instanceof PageFailure && e.kind === 'unavailable'))
      return (e as Error).message;
    throw e;
  }
}

/** Prints why a browser test file is skipped (vitest shows only the title otherwise). */
export function sayWhySkipped(file: string, reason: string | null): void {
  if (reason !== null) console.warn(`${file}: skipped: ${reason}`);
}

/** A small valid attention case: `patch` overrides its fields, `shapes` its sizes. */
export function smallCase(patch: Partial<AttentionCase> = {}, shapes: Partial<AttentionCase['shapes']> = {}) {
  const c: AttentionCase = {
    version: CASE_VERSION,
    kind: 'attention',
    shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 2, Sk: 5, D: 4, Dv: 4, ...shapes },
    scale: null,
    causal: 'none',
    window: null,
    keyLengths: null,
    paddingSide: 'right',
    mask: null,
    dropout: null,
    precision: 'float32',
    layout: 'BHSD',
    values: 'normal',
    junk: 'none',
    blocks: { Br: 64, Bc: 64 },
    seed: 7,
    ...patch,
  };
  return attentionSuite.parse(c, 'smallCase');
}

const f32 = (t: HostTensor) => ({ shape: t.shape, data: Float32Array.from(t.data) });

/** The case as a host kernel receives it (what the harness hands a host kernel). */
export function hostCall(c: AttentionCase): HostAttentionCall {
  const m = attentionSuite.materialise(c);
  const o = m.options;
  const { B, Hq, Sq, Sk } = m.shapes;
  const keep = o.dropout && o.dropout.p > 0 ? dropoutKeepPattern(o.dropout, [B, Hq, Sq, Sk]) : null;
  return {
    q: f32(m.inputs.q),
    k: f32(m.inputs.k),
    v: f32(m.inputs.v),
    dOut: f32(m.inputs.dOut),
    options: {
      ...o,
      mask: o.mask ? { shape: o.mask.shape, data: o.mask.data } : null,
      dropout: o.dropout ? { ...o.dropout, ...(keep ? { keep: { shape: [B, Hq, Sq, Sk], data: keep } } : {}) } : null,
      alibiSlopes: o.alibiSlopes ? f32(o.alibiSlopes) : null,
      bias: o.bias ? f32(o.bias) : null,
      sinks: o.sinks ? f32(o.sinks) : null,
    },
  };
}

/** The one-line verdict of a host kernel's result on the case ('pass', or what failed). */
export function verdictOf(c: AttentionCase, r: HostAttentionResult): string {
  const m = attentionSuite.materialise(c);
  const got = new Map(
    Object.entries(r)
      .filter(([name]) => name !== 'keep')
      .map(([name, t]) => [name, { shape: [...t.shape], data: Float64Array.from(t.data) }]),
  );
  return summarizeVerdict(judge(got, attentionSuite.specs({} as never, c, m, attentionSuite.reference(c, m))));
}
