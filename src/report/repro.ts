/**
 * The minimal repro a failing check prints, for a case of any kind: the case as JSON, the verdict
 * (one line per tensor; per backend when it ran on several), the inputs and the failing tensor
 * next to its reference when they fit on a screen, the heatmap file, and the lines to replay it
 * (the saved file, and fast-check's `{ seed, path }` of the search).
 */
import { formatDisagreement, formatVerdict, type Verdict } from '../oracle/index.js';
import { type CaseCheck, suiteOf } from '../runner/index.js';
import { heatmapSvg } from './heatmap.js';
import { formatTensor, printable } from './tensors.js';

export interface ReproInfo {
  readonly check: CaseCheck;
  /** Where the case was saved, or null when it was not (a failed save, a property run). */
  readonly saved: { readonly json: string; readonly svg: string | null; readonly existed?: boolean } | null;
  readonly seed: number;
  readonly path: string;
  readonly cases: number;
  readonly numShrinks: number;
  /** Steps of the structural pass after fast-check's shrinking, if any. */
  readonly simplified?: readonly string[];
  /** The command that searches the same cases again (same seed), shown on the fast-check line. */
  readonly searchCommand?: string;
}

/** The failing tensor's name and the backend run it came from, when the verdict names one. */
function failingTensor(check: CaseCheck): { tensor: string; run: CaseCheck['runs'][number] } | null {
  const v: Verdict = check.verdict;
  const tensor =
    v.status === 'mismatch' || v.status === 'nonfinite'
      ? v.failing.tensor
      : v.status === 'disagree'
        ? v.disagreement.tensor
        : null;
  if (tensor === null) return null;
  const backend = v.status === 'disagree' ? v.disagreement.b : v.backend;
  const run =
    check.runs.find((r) => r.backend === backend && r.tensors !== null) ?? check.runs.find((r) => r.tensors !== null);
  return run ? { tensor, run } : null;
}

/** An SVG heatmap of the failing tensor against its reference, or undefined when nothing ran. */
export function heatmapOf(check: CaseCheck): string | undefined {
  const f = failingTensor(check);
  if (f === null) return undefined;
  const got = f.run.tensors!.get(f.tensor);
  const ref = check.expected.get(f.tensor);
  if (!got || !ref || got.data.length !== ref.data.length || ref.shape.length === 0) return undefined;
  const v = check.verdict;
  const worst =
    (v.status === 'mismatch' || v.status === 'nonfinite') && 'worst' in v.failing
      ? v.failing.worst
      : v.status === 'disagree'
        ? v.disagreement.worst
        : null;
  const kernel = check.runs.length > 1 ? `${check.kernel} on ${f.run.backend}` : check.kernel;
  return heatmapSvg({
    kernel,
    tensor: f.tensor,
    got,
    ref,
    at: worst?.index.slice(0, -2) ?? [],
    ...(worst?.axes ? { axes: worst.axes } : {}),
  });
}

export function formatRepro(r: ReproInfo): string[] {
  const { check } = r;
  const v = check.verdict;
  const lines: string[] = [];
  const extra = r.simplified && r.simplified.length > 0 ? ` and simplified (${r.simplified.join('; ')})` : '';
  const where =
    check.runs.length > 1
      ? ` [${check.runs.map((x) => x.backend).join(' vs ')}]`
      : ` on ${check.runs[0]?.backend ?? '?'}`;
  lines.push(
    `${check.kernel}${where}: FAILED (${v.status}${v.backend ? ` on ${v.backend}` : ''}) after ${r.cases} ` +
      `cases, shrunk in ${r.numShrinks} steps${extra} to:`,
  );
  lines.push(JSON.stringify(check.case));
  const described = suiteOf(check.case).describe?.(check.case);
  if (described !== undefined) lines.push(described);
  if (check.runs.length > 1) {
    for (const run of check.runs) {
      lines.push(`verdict on ${run.backend}:`);
      for (const l of formatVerdict(run.verdict)) lines.push(`  ${l}`);
    }
    if (check.disagreements.length > 0)
      lines.push('backends against each other (tolerance: the larger of the two allowances):');
    for (const d of check.disagreements) lines.push(`  ${formatDisagreement(d)}`);
  } else {
    lines.push('verdict:');
    for (const l of formatVerdict(v)) lines.push(`  ${l}`);
  }
  const inputs = suiteOf(check.case).inputs(check.material);
  if (inputs.length > 0 && inputs.every(([, t]) => printable(t))) {
    lines.push('inputs (as the kernel received them, each with its shape in its contract layout):');
    for (const [name, t] of inputs) lines.push(...formatTensor(name, t));
  }
  const f = failingTensor(check);
  const ref = f ? check.expected.get(f.tensor) : undefined;
  const got = f ? f.run.tensors!.get(f.tensor) : undefined;
  if (f && ref && got && printable(ref) && printable(got))
    lines.push(...formatTensor(`${f.tensor} reference`, ref), ...formatTensor(`${f.tensor} ${check.kernel}`, got));
  if (r.saved?.svg) lines.push(`heatmap: ${r.saved.svg}`);
  if (r.saved)
    lines.push(
      `${r.saved.existed ? 'already saved (left as it was)' : 'saved'}: ${r.saved.json}`,
      `replay: npx attnfuzz replay ${r.saved.json}`,
    );
  const before = r.simplified && r.simplified.length > 0 ? ' (replays the case before simplification)' : '';
  const again = r.searchCommand ? `  (${r.searchCommand} searches the same cases)` : '';
  lines.push(`fast-check: { seed: ${r.seed}, path: "${r.path}" }${before}${again}`);
  return lines;
}
