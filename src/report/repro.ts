/**
 * The minimal repro a failing check prints: the case as JSON, the verdict (one line per tensor),
 * the tensors themselves when they fit on a screen, the heatmap file, and the lines to replay it
 * (the saved file, and fast-check's `{ seed, path }` of the search).
 */
import type { CaseCheck } from '../runner/index.js';
import { formatVerdict } from '../oracle/index.js';
import { formatTensor, printable } from './tensors.js';

export interface ReproInfo {
  readonly check: CaseCheck;
  readonly savedJson: string | null;
  readonly savedSvg: string | null;
  readonly seed: number;
  readonly path: string;
  readonly cases: number;
  readonly numShrinks: number;
  /** Steps of the structural pass after fast-check's shrinking, if any. */
  readonly simplified?: readonly string[];
}

export function formatRepro(r: ReproInfo): string[] {
  const { check } = r;
  const v = check.verdict;
  const lines: string[] = [];
  const extra = r.simplified && r.simplified.length > 0 ? ` and simplified (${r.simplified.join('; ')})` : '';
  lines.push(`${check.kernel}: FAILED (${v.status}) after ${r.cases} cases, shrunk in ${r.numShrinks} steps${extra} to:`);
  lines.push(JSON.stringify(check.case));
  lines.push('verdict:');
  for (const l of formatVerdict(v)) lines.push(`  ${l}`);
  const { q, k, v: vv, dOut } = check.material.inputs;
  if ([q, k, vv, dOut].every(printable)) {
    lines.push('inputs (as the kernel received them, in the contract layout):');
    lines.push(...formatTensor('q', q), ...formatTensor('k', k), ...formatTensor('v', vv), ...formatTensor('dOut', dOut));
    if (check.material.options.mask) lines.push(`mask [${check.material.options.mask.shape.join(',')}] = ${Array.from(check.material.options.mask.data).join('')}`);
  }
  if ((v.status === 'mismatch' || v.status === 'nonfinite') && check.result) {
    const t = v.failing.tensor;
    if (printable(check.reference[t])) lines.push(...formatTensor(`${t} reference`, check.reference[t]), ...formatTensor(`${t} ${check.kernel}`, check.result[t]));
  }
  if (r.savedSvg) lines.push(`heatmap: ${r.savedSvg}`);
  if (r.savedJson) lines.push(`saved: ${r.savedJson}`, `replay: npx attnfuzz replay ${r.savedJson}`);
  const before = r.simplified && r.simplified.length > 0 ? ' (replays the case before simplification)' : '';
  lines.push(`fast-check: { seed: ${r.seed}, path: "${r.path}" }${before}  (attnfuzz check --kernel ${check.kernel} --seed ${r.seed} searches the same cases)`);
  return lines;
}
