/**
 * Cross-backend mode: one kernel on one case on several tfjs backends (cpu, wasm, and tensorflow
 * when installed), each judged against the float64 reference with the baseline run on the same
 * backend, plus how far each backend's tensors are from cpu's. Backends are switched between
 * runs (useBackend is async); the previously active backend is restored afterwards.
 */
import type { AttentionCase } from '../case/index.js';
import { activeBackend, useBackend, type BackendName } from '../backend/index.js';
import { ATTENTION_TENSORS, maxAbsDiff, type AttentionTensorName } from '../contract/index.js';
import type { Verdict } from '../oracle/index.js';
import { checkCase } from './differential.js';
import type { KernelUnderTest } from './kernels.js';

export interface BackendRun {
  readonly backend: BackendName;
  readonly verdict: Verdict;
  /** max |this backend - cpu| per tensor; null when either did not run. */
  readonly vsCpu: Record<AttentionTensorName, number> | null;
}

export async function crossBackend(c: AttentionCase, k: KernelUnderTest, backends: readonly BackendName[] = ['cpu', 'wasm']): Promise<BackendRun[]> {
  const before = ((activeBackend() as BackendName | undefined) ?? 'cpu') as BackendName; // undefined until tfjs first initialises one
  const runs: Array<{ backend: BackendName; check: ReturnType<typeof checkCase> }> = [];
  try {
    for (const backend of backends) {
      await useBackend(backend);
      runs.push({ backend, check: checkCase(c, k) });
    }
  } finally {
    await useBackend(before);
  }
  const cpu = runs.find((r) => r.backend === 'cpu')?.check.result ?? null;
  return runs.map(({ backend, check }) => {
    const r = check.result;
    const vsCpu = cpu && r ? (Object.fromEntries(ATTENTION_TENSORS.map((t) => [t, maxAbsDiff(r[t], cpu[t])])) as Record<AttentionTensorName, number>) : null;
    return { backend, verdict: check.verdict, vsCpu };
  });
}
