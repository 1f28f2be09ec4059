/**
 * Runs loaded goldens through implementations and measures each output and gradient against the
 * PyTorch values, tensor by tensor (`dq TENSOR OK maxdiff=...` as llm.c does): shape first, then
 * max abs and norm-wise max relative error (src/contract/compare.ts). A tensor passes iff its
 * maxRelError is within the implementation's bound; a NaN where PyTorch is finite never passes.
 */
import {
  ATTENTION_TENSORS,
  formatShape,
  type HostTensor,
  LORA_TENSORS,
  maxAbsDiff,
  maxRelError,
  OPTIONAL_ATTENTION_TENSORS,
  sameShape,
} from '../contract/index.js';
import type { Golden } from './goldenFile.js';
import type { GoldenRunner } from './kernels.js';

/** One tensor of one file through one implementation. */
export interface GoldenRow {
  readonly file: string;
  readonly kernel: string;
  /** out, dq, dk, dv (attention), y, dx, dA, dB (lora-linear) or out (decode). */
  readonly tensor: string;
  /** Infinity when the shape is wrong or a value is non-finite where PyTorch's is finite. */
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly bound: number;
  readonly pass: boolean;
  /** Set when the shape is wrong. */
  readonly note?: string;
}

/** What happened to one file under one implementation. */
export type GoldenOutcome =
  | { readonly state: 'checked'; readonly file: string; readonly kernel: string; readonly rows: readonly GoldenRow[] }
  | { readonly state: 'skipped'; readonly file: string; readonly kernel: string; readonly reason: string }
  | { readonly state: 'errored'; readonly file: string; readonly kernel: string; readonly error: string };

function compareTensor(
  file: string,
  kernel: string,
  tensor: string,
  got: HostTensor,
  want: HostTensor,
  bound: number,
): GoldenRow {
  if (!sameShape(got.shape, want.shape)) {
    const note = `shape ${formatShape(got.shape)}, expected ${formatShape(want.shape)}`;
    return { file, kernel, tensor, maxAbs: Infinity, maxRel: Infinity, bound, pass: false, note };
  }
  const maxRel = maxRelError(got, want);
  return { file, kernel, tensor, maxAbs: maxAbsDiff(got, want), maxRel, bound, pass: maxRel <= bound };
}

/** Runs one golden through one runner of its kind. */
export async function checkGolden(golden: Golden, runner: GoldenRunner): Promise<GoldenOutcome> {
  const { file } = golden;
  const kernel = runner.name;
  let got: Record<string, HostTensor>;
  let want: Record<string, HostTensor>;
  let names: readonly string[];
  try {
    if (golden.kind === 'attention' && runner.kind === 'attention') {
      const ok = runner.supports(golden.options, golden.inputs);
      if (ok !== true) return { state: 'skipped', file, kernel, reason: ok };
      got = { ...(await runner.run(golden.inputs, golden.options)) };
      want = { ...golden.expected };
      // Version 2: dbias and dsinks where the file has them, lse where the kernel also returns one.
      names = [
        ...ATTENTION_TENSORS,
        ...OPTIONAL_ATTENTION_TENSORS.filter((t) => want[t] !== undefined && (t !== 'lse' || got[t] !== undefined)),
      ];
      // A forward-only runner (an inference kernel: ONNX Runtime) is judged on out and lse.
      if (runner.forwardOnly === true) names = names.filter((t) => t === 'out' || t === 'lse');
    } else if (golden.kind === 'lora-linear' && runner.kind === 'lora-linear') {
      got = { ...(await runner.run(golden.inputs, golden.spec)) };
      want = { ...golden.expected };
      names = LORA_TENSORS;
    } else if (golden.kind === 'decode' && runner.kind === 'decode') {
      got = { out: await runner.run(golden.inputs, golden.options) };
      want = { ...golden.expected };
      names = ['out'];
    } else {
      return { state: 'skipped', file, kernel, reason: `does not run ${golden.kind} files` };
    }
  } catch (e) {
    return { state: 'errored', file, kernel, error: (e instanceof Error ? e.message : String(e)).split('\n')[0]! };
  }
  const rows = names.map((t) =>
    got[t] === undefined
      ? {
          file,
          kernel,
          tensor: t,
          maxAbs: Infinity,
          maxRel: Infinity,
          bound: runner.bound,
          pass: false,
          note: 'not returned',
        }
      : compareTensor(file, kernel, t, got[t], want[t]!, runner.bound),
  );
  return { state: 'checked', file, kernel, rows };
}

/**
 * Every golden through every runner of its kind, in file order then runner order. Runners of
 * the other kind are left out silently: a LoRA runner says nothing about attention files.
 */
export async function checkGoldens(
  goldens: readonly Golden[],
  runners: readonly GoldenRunner[],
): Promise<GoldenOutcome[]> {
  const out: GoldenOutcome[] = [];
  for (const g of goldens) for (const r of runners) if (r.kind === g.kind) out.push(await checkGolden(g, r));
  return out;
}

/** Pass iff every checked tensor passed and nothing errored (skips are not failures). */
export function allPassed(outcomes: readonly GoldenOutcome[]): boolean {
  return outcomes.every((o) => o.state === 'skipped' || (o.state === 'checked' && o.rows.every((r) => r.pass)));
}
