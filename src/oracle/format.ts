/** Verdicts as text: one line per tensor (`dk MISMATCH maxAbs=3.1e-2 allowed=2.0e-6 @ b=0 h=1 key=3 dim=0`). */
import type { Location, TensorVerdict, Verdict } from './verdict.js';

const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
const g = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

export function formatLocation(l: Location): string {
  return `b=${l.b} h=${l.h} ${l.axes[0]}=${l.i} ${l.axes[1]}=${l.j}`;
}

export function formatTensorVerdict(t: TensorVerdict): string {
  switch (t.status) {
    case 'shape':
      return `${t.tensor} SHAPE expected [${t.expected.join(',')}] received [${t.received.join(',')}]`;
    case 'nonfinite':
      return `${t.tensor} NONFINITE got ${g(t.got)} where ref=${g(t.ref)} @ ${formatLocation(t.worst)}`;
    case 'pass':
    case 'mismatch': {
      const base = t.baselineError === null ? 'baseline failed' : `baseline ${e(t.baselineError)}`;
      const at = t.worst ? ` @ ${formatLocation(t.worst)} ref=${g(t.ref)} got=${g(t.got)}` : '';
      return `${t.tensor} ${t.status === 'pass' ? 'OK' : 'MISMATCH'} maxAbs=${e(t.error)} allowed=${e(t.allowed)} (${base}, floor ${e(t.floor)})${at}`;
    }
  }
}

/** One line per tensor, or one line for threw/unsupported. */
export function formatVerdict(v: Verdict): string[] {
  switch (v.status) {
    case 'threw':
      return [`THREW in ${v.phase}: ${v.message.split('\n')[0]}`];
    case 'unsupported':
      return [`UNSUPPORTED: ${v.reason}`];
    default:
      return v.tensors.map(formatTensorVerdict);
  }
}

/** The one-line summary saved with a failure and shown by replay. */
export function summarizeVerdict(v: Verdict): string {
  switch (v.status) {
    case 'pass':
      return 'pass';
    case 'threw':
    case 'unsupported':
      return formatVerdict(v)[0]!;
    default:
      return formatTensorVerdict(v.failing);
  }
}
