/**
 * `attnfuzz check --kernel <k> --backends cpu,wasm[,tensorflow] [--time/--runs/--seed/--corpus/--json]`:
 * the cross-backend mode of check (src/runner/crossSearch.ts). Searches for a case where the kernel
 * fails the oracle on any listed backend, or where two backends disagree beyond the tolerance of
 * src/runner/crossCheck.ts; shrinks it, prints the repro naming the backend(s), and saves it with
 * its `backends`, so `attnfuzz replay` re-runs it cross-backend. Exit codes as check: 0 clean,
 * 1 failure, 2 usage or load error (an unavailable backend: src/backend's install hint).
 */
import { parseBackend, useBackend, type BackendName } from '../../backend/index.js';
import { REGRESSIONS_DIR, saveFailure } from '../../corpus/index.js';
import { formatVerdict } from '../../oracle/index.js';
import { formatTensor, heatmapSvg, printable } from '../../report/index.js';
import {
  crossStatus,
  formatDisagreement,
  resolveKernel,
  searchCrossBackend,
  summarizeCross,
  type CrossCheck,
  type CrossSearchOptions,
  type CrossSearchResult,
} from '../../runner/index.js';
import type { CheckFlags, CheckIo } from './check.js';
import { progressReporter, searchBudget, UsageError } from './searchFlags.js';

/** `cpu,wasm` -> ['cpu', 'wasm']: known names, at least two, no repeats. */
export function parseBackendList(list: string): BackendName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const backends = names.map((n) => parseBackend(n, 'check: --backends'));
  if (new Set(backends).size !== backends.length || backends.length < 2) {
    throw new UsageError(`check: --backends needs at least two different backends (e.g. cpu,wasm), got '${list}'`);
  }
  return backends;
}

type Failed = Extract<CrossSearchResult, { status: 'failed' }>;

/** The heatmap of what failed: a backend's tensor against the reference, or backend b against a. */
function heatmapOf(x: CrossCheck): string | undefined {
  const v = x.verdict;
  if (v.status === 'disagree') {
    const d = v.disagreement;
    const [ra, rb] = [x.runs.find((r) => r.backend === d.a)!.check.result!, x.runs.find((r) => r.backend === d.b)!.check.result!];
    return heatmapSvg({ kernel: `${x.kernel} ${d.b} vs ${d.a}`, tensor: d.tensor, got: rb[d.tensor], ref: ra[d.tensor], b: d.worst.b, h: d.worst.h });
  }
  if (v.status !== 'backend-failure' || (v.verdict.status !== 'mismatch' && v.verdict.status !== 'nonfinite') || !('worst' in v.verdict.failing)) return undefined;
  const check = x.runs.find((r) => r.backend === v.backend)!.check;
  if (!check.result) return undefined;
  const { tensor: t, worst } = v.verdict.failing;
  return heatmapSvg({ kernel: `${x.kernel} on ${v.backend}`, tensor: t, got: check.result[t], ref: check.reference[t], b: worst.b, h: worst.h });
}

export function formatCrossRepro(r: Failed, backends: readonly BackendName[], saved: { json: string; svg: string | null }): string[] {
  const x = r.shrunk;
  const lines: string[] = [];
  const extra = r.simplified.length > 0 ? ` and simplified (${r.simplified.join('; ')})` : '';
  const what = x.verdict.status === 'backend-failure' ? `FAILED on ${x.verdict.backend} (${x.verdict.verdict.status})` : x.verdict.status === 'disagree' ? `FAILED: ${x.verdict.disagreement.a} and ${x.verdict.disagreement.b} disagree` : 'FAILED';
  lines.push(`${x.kernel} [${backends.join(' vs ')}]: ${what} after ${r.cases} cases, shrunk in ${r.numShrinks} steps${extra} to:`);
  lines.push(JSON.stringify(x.case), `verdict: ${summarizeCross(x.verdict)}`);
  for (const run of x.runs) {
    lines.push(`${run.backend}:`);
    for (const l of formatVerdict(run.check.verdict)) lines.push(`  ${l}`);
  }
  if (x.disagreements.length > 0) lines.push('backends against each other (tolerance: the larger of the two allowances):');
  for (const d of x.disagreements) lines.push(`  ${formatDisagreement(d)}`);
  const first = x.runs[0]!.check;
  const { q, k, v, dOut } = first.material.inputs;
  if ([q, k, v, dOut].every(printable)) {
    lines.push('inputs (as the kernel received them, in the contract layout):');
    lines.push(...formatTensor('q', q), ...formatTensor('k', k), ...formatTensor('v', v), ...formatTensor('dOut', dOut));
    if (first.material.options.mask) lines.push(`mask [${first.material.options.mask.shape.join(',')}] = ${Array.from(first.material.options.mask.data).join('')}`);
  }
  const vd = x.verdict;
  const t = vd.status === 'disagree' ? vd.disagreement.tensor : vd.status === 'backend-failure' && 'failing' in vd.verdict ? vd.verdict.failing.tensor : null;
  if (t !== null && printable(first.reference[t])) {
    lines.push(...formatTensor(`${t} reference`, first.reference[t]));
    for (const run of x.runs) if (run.check.result) lines.push(...formatTensor(`${t} ${run.backend}`, run.check.result[t]));
  }
  if (saved.svg) lines.push(`heatmap: ${saved.svg}`);
  lines.push(`saved: ${saved.json}`, `replay: npx attnfuzz replay ${saved.json}`);
  const before = r.simplified.length > 0 ? ' (replays the case before simplification)' : '';
  lines.push(`fast-check: { seed: ${r.seed}, path: "${r.path}" }${before}  (attnfuzz check --kernel ${x.kernel} --backends ${backends.join(',')} --seed ${r.seed} searches the same cases)`);
  return lines;
}

export async function runCrossCheck(flags: CheckFlags, io: CheckIo): Promise<number> {
  let search: CrossSearchOptions;
  let backends: BackendName[];
  try {
    if (flags.backend !== undefined) throw new UsageError(`check: --backends and --backend are exclusive: --backends runs the kernel on each listed backend (got --backend ${flags.backend})`);
    if (flags.suite !== undefined && flags.suite !== 'attention') throw new UsageError(`check: --backends runs the attention suite only, got --suite ${flags.suite}`);
    if (!flags.kernel) throw new UsageError('check: --kernel is required: a module path or one of eager, sdpa, flash');
    backends = parseBackendList(flags.backends ?? '');
    const { seed, numRuns, timeMs } = searchBudget(flags, 'check');
    for (const b of backends) {
      try {
        await useBackend(b);
      } catch (e) {
        throw new UsageError(`check: --backends ${b}: ${(e as Error).message}`);
      }
    }
    await useBackend(backends[0]!);
    const kernel = await resolveKernel(flags.kernel);
    search = { kernel, backends, seed, numRuns, timeMs, ...progressReporter(`${kernel.label} [${backends.join(' vs ')}]`, io) };
  } catch (e) {
    const line = (e as Error).message.split('\n')[0]!;
    io.err(`${line.startsWith('check:') ? line : `check: ${line}`}\n`);
    return 2;
  }
  // How close the backends came to the tolerance over the whole search (a clean run's margin).
  let closest = { ratio: 0, text: '' };
  const result = await searchCrossBackend({
    ...search,
    onCase: (x) => {
      for (const d of x.disagreements) {
        const ratio = d.maxDiff === 0 ? 0 : d.maxDiff / d.allowed;
        if (ratio > closest.ratio) closest = { ratio, text: `${d.a} vs ${d.b} ${d.tensor}` };
      }
    },
  });
  if (io.errIsTTY) io.err('\r\x1b[K');
  const label = `${search.kernel.label} [${backends.join(' vs ')}]`;
  const rate = (result.cases * 1000) / Math.max(1, result.elapsedMs);
  if (result.status === 'clean') {
    const margin = closest.ratio > 0 ? `; backends agreed within ${closest.ratio.toPrecision(2)} of the tolerance at worst (${closest.text})` : '; backends agreed exactly';
    if (flags.json) io.out(JSON.stringify({ kernel: search.kernel.label, backends, status: 'clean', seed: result.seed, cases: result.cases, unsupported: result.unsupported, elapsedMs: Math.round(result.elapsedMs), casesPerSecond: rate, worstDisagreementRatio: closest.ratio }) + '\n');
    else io.out(`${label}: no failure in ${result.cases} cases (${result.unsupported} unsupported) in ${(result.elapsedMs / 1000).toFixed(1)} s, ${rate.toFixed(1)} cases/s, seed ${result.seed}${margin}\n`);
    return 0;
  }
  const x = result.shrunk;
  const svg = heatmapOf(x);
  const saved = saveFailure(
    {
      case: x.case,
      kernel: search.kernel.ref,
      expect: 'pass',
      verdict: { status: crossStatus(x.verdict), summary: summarizeCross(x.verdict) },
      seed: result.seed,
      path: result.path,
      backend: backends[0]!,
      backends,
    },
    flags.corpus ?? REGRESSIONS_DIR,
    svg,
  );
  const svgPath = svg === undefined ? null : saved.svg;
  if (flags.json) {
    io.out(
      JSON.stringify({
        kernel: search.kernel.label,
        backends,
        status: 'failed',
        seed: result.seed,
        path: result.path,
        cases: result.cases,
        numShrinks: result.numShrinks,
        simplified: result.simplified,
        elapsedMs: Math.round(result.elapsedMs),
        casesPerSecond: rate,
        case: x.case,
        summary: summarizeCross(x.verdict),
        verdict: x.verdict,
        perBackend: x.runs.map((r) => ({ backend: r.backend, verdict: r.check.verdict })),
        disagreements: x.disagreements,
        saved: saved.json,
        heatmap: svgPath,
      }) + '\n',
    );
  } else {
    io.out(formatCrossRepro(result, backends, { json: saved.json, svg: svgPath }).join('\n') + '\n');
  }
  return 1;
}
