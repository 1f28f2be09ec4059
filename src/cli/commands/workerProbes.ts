/**
 * What `attnfuzz worker-check` tries on a worker (docs/PROTOCOL.md), each a named probe with its
 * outcome: the contract cases (one restriction or option at a time, then every declared precision
 * and score feature), and the protocol's own rules (an unknown suite answered without dying, the
 * next run still served, ending at end of input, the round trip's time).
 */
import { type AttentionCase, parseCase } from '../../case/index.js';
import type { Precision } from '../../contract/index.js';
import {
  attentionRequest,
  type Frame,
  type Hello,
  WorkerProcess,
  type WorkerProcessOptions,
} from '../../execute/index.js';
import { summarizeVerdict } from '../../oracle/index.js';
import { checkCase, type KernelUnderTest } from '../../runner/index.js';

export type ProbeOutcome = 'pass' | 'declined' | 'fail';

export interface Probe {
  readonly name: string;
  readonly outcome: ProbeOutcome;
  /** The verdict's summary, the reason declined, or what went wrong. */
  readonly detail: string;
}

const BASE = {
  version: 1,
  kind: 'attention',
  shapes: { B: 1, Hq: 2, Hkv: 2, Sq: 3, Sk: 4, D: 4, Dv: 4 },
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
  blocks: { Br: 4, Bc: 4 },
  seed: 7,
};

type Patch = Record<string, unknown>;
const shapes = (s: Patch) => ({ shapes: { ...BASE.shapes, ...s } });

/** One case per thing a worker must get right, each alone: the contract of src/contract/types.ts. */
const CONTRACT: ReadonlyArray<readonly [string, Patch]> = [
  ['plain', {}],
  ['one query, one key', shapes({ Sq: 1, Sk: 1 })],
  ['causal top-left', { causal: 'top-left' }],
  ['causal top-left, Sq = Sk, no mask (adapters#721)', { causal: 'top-left', ...shapes({ Sq: 4 }) }],
  ['causal bottom-right, Sq < Sk', { causal: 'bottom-right' }],
  ['window [1, 0]', { window: [1, 0] }],
  ['key lengths, right padding', { keyLengths: [2], paddingSide: 'right' }],
  ['key lengths, left padding', { keyLengths: [2], paddingSide: 'left' }],
  ['bool mask [1, 1, Sq, Sk]', { mask: { broadcastBatch: true, broadcastHeads: true, density: 0.6, seed: 3 } }],
  [
    'bool mask [B, Hq, Sq, Sk]',
    { ...shapes({ B: 2 }), mask: { broadcastBatch: false, broadcastHeads: false, density: 0.6, seed: 4 } },
  ],
  ['GQA (Hq = 4, Hkv = 2)', shapes({ Hq: 4, Hkv: 2 })],
  ['MQA (Hq = 4, Hkv = 1)', shapes({ Hq: 4, Hkv: 1 })],
  ['Dv != D', shapes({ D: 3, Dv: 5 })],
  ['another scale', { scale: 0.3 }],
  ['dropout (the keep mask)', { dropout: { p: 0.5, seed: 11 } }],
  ['a row that sees no key', { keyLengths: [0] }],
  ['batch 2, lengths 65 x 17', shapes({ B: 2, Sq: 65, Sk: 17 })],
];

const FEATURES: ReadonlyArray<readonly [string, 'softcap' | 'alibi' | 'bias' | 'sinks', Patch]> = [
  ['softcap 5', 'softcap', { softcap: 5 }],
  ['ALiBi slopes [Hq]', 'alibi', { alibi: { perBatch: false, maxSlope: 0.5, seed: 5 } }],
  ['bias [1, Hq, Sq, Sk]', 'bias', { bias: { broadcastBatch: true, broadcastHeads: false, std: 1, seed: 6 } }],
  ['sinks', 'sinks', { sinks: { mean: 0, seed: 8 } }],
];

/** The contract probes for a worker that runs attention: each case checked as any kernel is (checkCase). */
export async function contractProbes(kernel: KernelUnderTest, hello: Hello): Promise<Probe[]> {
  const cases: Array<readonly [string, Patch]> = [...CONTRACT];
  for (const p of hello.precisions ?? ['float32', 'bfloat16', 'float16'])
    if (p !== 'float32') cases.push([`plain in ${p}`, { precision: p as Precision }]);
  for (const [name, feature, patch] of FEATURES) if (hello.features?.[feature] === true) cases.push([name, patch]);
  const out: Probe[] = [];
  for (const [name, patch] of cases) {
    const c: AttentionCase = parseCase({ ...BASE, ...patch }, `worker-check: ${name}`);
    const v = (await checkCase(c, kernel)).verdict;
    out.push(
      v.status === 'pass'
        ? { name, outcome: 'pass', detail: '' }
        : v.status === 'unsupported'
          ? { name, outcome: 'declined', detail: v.reason }
          : { name, outcome: 'fail', detail: summarizeVerdict(v) },
    );
  }
  return out;
}

const PLAIN = parseCase(BASE, 'worker-check');

/** A plain attention run as a raw request (what workerKernel would send), to talk to a process directly. */
function plainRun(): { header: Record<string, unknown>; buffers: ReturnType<typeof attentionRequest>['buffers'] } {
  const t = (shape: number[]) => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i)),
  });
  const { B, Hq, Hkv, Sq, Sk, D, Dv } = PLAIN.shapes;
  const r = attentionRequest({
    q: t([B, Hq, Sq, D]),
    k: t([B, Hkv, Sk, D]),
    v: t([B, Hkv, Sk, Dv]),
    dOut: t([B, Hq, Sq, Dv]),
    options: {
      scale: 0.5,
      causal: 'none',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
      dropout: null,
      precision: 'float32',
    },
  });
  return { header: { type: 'run', ...r.header }, buffers: r.buffers };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The protocol's rules, on a process of its own: unknown suites, ids, speed, ending at end of input. */
export async function protocolProbes(command: readonly string[], o: WorkerProcessOptions): Promise<Probe[]> {
  const out: Probe[] = [];
  const proc = new WorkerProcess(command, o);
  const ask = (header: Record<string, unknown>, buffers: ReturnType<typeof plainRun>['buffers'], what: string) =>
    proc.request(header, buffers, what, 30_000);
  try {
    await proc.first(120_000);
    const odd: Frame = await ask({ type: 'run', id: 1, suite: 'no-such-suite' }, [], 'a run of an unknown suite');
    const answered = ['error', 'declined'].includes(odd.header.type) && odd.header.id === 1;
    out.push({
      name: 'a run of an unknown suite is answered (error or declined, same id)',
      outcome: answered ? 'pass' : 'fail',
      detail: answered ? '' : `answered ${JSON.stringify(odd.header).slice(0, 120)}`,
    });
    const times: number[] = [];
    for (let id = 2; id < 42; id++) {
      const run = plainRun();
      const t0 = performance.now();
      const f = await ask({ ...run.header, id }, run.buffers, 'a plain run');
      times.push(performance.now() - t0);
      if (f.header.type !== 'result' || f.header.id !== id) {
        out.push({
          name: 'runs answered in order, with their ids',
          outcome: 'fail',
          detail: `run ${id}: ${f.header.type} id ${String(f.header.id)}`,
        });
        break;
      }
    }
    if (times.length === 40)
      out.push({
        name: 'runs answered in order, with their ids',
        outcome: 'pass',
        detail: `40 runs, median round trip ${median(times).toFixed(2)} ms (1x2x3x4, forward and backward)`,
      });
  } catch (e) {
    out.push({ name: 'the protocol', outcome: 'fail', detail: (e as Error).message.split('\n')[0]! });
  }
  const t0 = performance.now();
  await proc.close(2000);
  const ms = performance.now() - t0;
  out.push({
    name: 'exits at end of input',
    outcome: ms < 2000 ? 'pass' : 'fail',
    detail: ms < 2000 ? `in ${ms.toFixed(0)} ms` : 'still running after 2 s: killed',
  });
  return out;
}
