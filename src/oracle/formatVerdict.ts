/** Verdicts as text: one line per tensor (`dk MISMATCH maxAbs=3.1e-2 allowed=2.0e-6 @ b=0 h=1 key=3 dim=0`). */
import { type Disagreement, formatExpectation, type Location, type TensorVerdict, type Verdict } from './verdict.js';

const e = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
const g = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));

/** `b=0 h=1 query=3 dim=0` for named axes, `[0,1,3,0]` otherwise. */
export function formatLocation(l: Location): string {
  if (l.axes && l.axes.length === l.index.length) return l.index.map((x, n) => `${l.axes![n]}=${x}`).join(' ');
  return `[${l.index.join(',')}]`;
}

export function formatTensorVerdict(t: TensorVerdict): string {
  switch (t.status) {
    case 'shape':
      return `${t.tensor} SHAPE expected [${t.expected.join(',')}] received [${t.received.join(',')}]`;
    case 'nonfinite':
      return `${t.tensor} NONFINITE got ${g(t.got)} where ref=${g(t.ref)} @ ${formatLocation(t.worst)}`;
    case 'skipped':
      return `${t.tensor} not judged: ${t.reason}`;
    case 'pass':
    case 'mismatch': {
      const base = t.baselineError === null ? 'no baseline' : `baseline ${e(t.baselineError)}`;
      const at = t.worst ? ` @ ${formatLocation(t.worst)} ref=${g(t.ref)} got=${g(t.got)}` : '';
      return (
        `${t.tensor} ${t.status === 'pass' ? 'OK' : 'MISMATCH'} maxAbs=${e(t.error)} ` +
        `allowed=${e(t.allowed)} (${base}, floor ${e(t.floor)})${at}`
      );
    }
  }
}

export function formatDisagreement(d: Disagreement): string {
  const word = d.maxDiff > d.allowed ? 'DISAGREE' : 'agree';
  return (
    `${d.a} vs ${d.b}: ${d.tensor} ${word} max|a-b|=${e(d.maxDiff)} allowed=${e(d.allowed)} @ ` +
    `${formatLocation(d.worst)} ${d.a}=${g(d.valueA)} ${d.b}=${g(d.valueB)} ref=${g(d.ref)}`
  );
}

const on = (v: Verdict) => (v.backend !== undefined ? `${v.backend}: ` : '');

/** The verdict's cause as a report line (`why: reads keys it must not see ...`), if it has one. */
const why = (v: Verdict) => (v.cause !== undefined ? `why: ${v.cause}` : null);

/**
 * One line per tensor, or one line for threw/unsupported/disagree; then `why: <cause>` when the
 * verdict knows why. Tensors with a `group` come under a `# group` heading line (training reports),
 * in report order.
 */
export function formatVerdict(v: Verdict): string[] {
  const lines = verdictLines(v);
  const cause = why(v);
  return cause !== null ? [...lines, cause] : lines;
}

function verdictLines(v: Verdict): string[] {
  switch (v.status) {
    case 'threw':
      return [`${on(v)}THREW in ${v.phase}: ${v.message.split('\n')[0]}`];
    case 'unsupported':
      return [`UNSUPPORTED: ${v.reason}`];
    case 'disagree':
      return [formatDisagreement(v.disagreement)];
    default: {
      const lines: string[] = [];
      let group: string | undefined;
      for (const t of v.tensors) {
        if (t.group !== undefined && t.group !== group) lines.push(`# ${t.group}`);
        group = t.group;
        lines.push(formatTensorVerdict(t));
      }
      return lines;
    }
  }
}

/** The one-line summary saved with a failure and shown by replay (`...; why: <cause>` when known). */
export function summarizeVerdict(v: Verdict): string {
  const cause = why(v);
  const line = summaryLine(v);
  return cause !== null ? `${line}; ${cause}` : line;
}

function summaryLine(v: Verdict): string {
  switch (v.status) {
    case 'pass':
      return 'pass';
    case 'threw':
    case 'unsupported':
    case 'disagree':
      return verdictLines(v)[0]!;
    default:
      return `${on(v)}${formatTensorVerdict(v.failing)}`;
  }
}

export { formatExpectation };
