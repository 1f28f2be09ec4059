/**
 * `ortKernel(op, { ep, opset })`: ONNX Runtime's attention ops as host kernels (src/contract
 * hostKernel.ts), one per op, each a table in its own file (attention.ts, mha.ts, gqa.ts):
 *
 *   ort:attention   ONNX Attention, opset 23 or 24 (default 24)   attention suite, decode suite
 *   ort:mha         com.microsoft MultiHeadAttention               attention suite
 *   ort:gqa         com.microsoft GroupQueryAttention              attention suite, decode suite
 *
 * Forward only (`backward: false`): ONNX Runtime's inference sessions have no gradients. float32 and
 * float16 (each op has a float16 CPU kernel in 1.30; none has a bfloat16 one). Each call is planned
 * by its op's adapter (the model, the feeds, how to read Y), then run through the session cache.
 */
import {
  type AttentionShapes,
  type DecodeQuery,
  defineHostKernel,
  type HostAttentionCall,
  type HostDecodeCall,
  type HostKernel,
  type KernelFeatures,
  type SupportQuery,
} from '../../src/contract/index.js';
import { type AttentionOpset, attentionPlan, attentionSupports } from './attention.js';
import { attentionDecodePlan, attentionDecodeSupports } from './attentionDecode.js';
import type { FormOptions } from './forms.js';
import { gqaPlan, gqaSupports } from './gqa.js';
import { gqaDecodePlan, gqaDecodeSupports } from './gqaDecode.js';
import { mhaPlan, mhaSupports } from './mha.js';
import { PageSessions } from './pageSessions.js';
import { type OpPlan, type ReproParts, readOut, reproParts } from './plan.js';
import { loadOrt, ortVersion } from './runtime.js';
import { type ExecutionProvider, SessionCache } from './sessions.js';

export const ORT_OPS = ['attention', 'mha', 'gqa'] as const;
export type OrtOp = (typeof ORT_OPS)[number];

export interface OrtKernelOptions {
  /** The execution provider the sessions run on. Default 'cpu'. */
  readonly ep?: ExecutionProvider;
  /** The default domain's opset of ort:attention's models (23 or 24). Default 24. */
  readonly opset?: AttentionOpset;
  /** Sessions kept (0: a session per call, to measure what the cache saves). Default 256. */
  readonly sessions?: number;
  /** webgpu: a run with no answer after this long means the page hangs (it is reopened). */
  readonly timeoutMs?: number;
  /** Choices pinned by name, and whether the forms of known upstream issues (known.ts) are drawn too. */
  readonly forms?: FormOptions;
}

/** One op's adapter: what it declines, how it plans a call. */
interface OpAdapter {
  readonly name: string;
  readonly features: KernelFeatures;
  supports(q: SupportQuery, shapes: AttentionShapes): true | string;
  plan(call: HostAttentionCall): OpPlan;
  supportsDecode?(q: DecodeQuery): true | string;
  planDecode?(call: HostDecodeCall): OpPlan;
}

function adapterOf(op: OrtOp, opset: AttentionOpset, fo: FormOptions): OpAdapter {
  switch (op) {
    case 'attention':
      return {
        name: `ort:attention (ONNX Attention, opset ${opset})`,
        features: { softcap: true, alibi: true, bias: true },
        supports: attentionSupports,
        plan: (c) => attentionPlan(c, opset, fo),
        supportsDecode: attentionDecodeSupports,
        planDecode: (c) => attentionDecodePlan(c, opset, fo),
      };
    case 'mha':
      return {
        name: 'ort:mha (com.microsoft MultiHeadAttention)',
        features: { alibi: true, bias: true },
        supports: mhaSupports,
        plan: (c) => mhaPlan(c, fo),
      };
    case 'gqa':
      return {
        name: 'ort:gqa (com.microsoft GroupQueryAttention)',
        features: { softcap: true, alibi: true, bias: true, sinks: true },
        supports: (q, s) => gqaSupports(q, s, fo),
        plan: (c) => gqaPlan(c, fo),
        supportsDecode: gqaDecodeSupports,
        planDecode: (c) => gqaDecodePlan(c, fo),
      };
  }
}

/** The plan of a call, for `attnfuzz export --onnx` (the model and feeds the kernel would run). */
export interface OrtPlanner {
  readonly ortPlan: (call: HostAttentionCall | HostDecodeCall) => OpPlan;
  /** The plan as plain data: the model's bytes, the feeds (float16 as bits, NaN as null), Y's layout. */
  readonly onnxRepro: (call: HostAttentionCall | HostDecodeCall) => ReproParts;
}

export type OrtKernel = HostKernel &
  OrtPlanner & { readonly sessions: SessionCache | PageSessions; readonly version: string };

/** ONNX Runtime's `op` as a host kernel; rejects with one line when onnxruntime-node is missing. */
export async function ortKernel(op: OrtOp, o: OrtKernelOptions = {}): Promise<OrtKernel> {
  const ep = o.ep ?? 'cpu';
  const a = adapterOf(op, o.opset ?? 24, o.forms ?? {});
  // webgpu: ONNX Runtime Web in a browser page (pageSessions.ts); cpu, cuda: onnxruntime-node.
  const page = ep === 'webgpu' ? await PageSessions.start(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) : null;
  if (page === null) await loadOrt();
  const sessions = page ?? new SessionCache(ep, o.sessions ?? 256);
  const version = page !== null ? (/\d+\.\d+\.\d+/.exec(page.library)?.[0] ?? '') : await ortVersion();
  const runtime = page !== null ? page.library : `onnxruntime-node ${version}`;
  const run = async (plan: OpPlan) => readOut(plan.output, await sessions.run(plan.spec, plan.feeds));
  const isDecode = (c: HostAttentionCall | HostDecodeCall): c is HostDecodeCall => 'cache' in c;
  const planDecode = a.planDecode;
  const ortPlan = (call: HostAttentionCall | HostDecodeCall) => {
    if (!isDecode(call)) return a.plan(call);
    if (!planDecode) throw new Error(`ort:${op}: no decode`);
    return planDecode(call);
  };
  return defineHostKernel({
    name: `${a.name}, ${runtime}`,
    device: ep,
    backward: false,
    // An adapter without shader-f16 (SwiftShader) runs no float16 model: ORT Web says so on every call.
    precisions: page !== null && !page.shaderF16 ? ['float32'] : ['float32', 'float16'],
    features: a.features,
    supports: (q: SupportQuery, shapes: AttentionShapes) => a.supports(q, shapes),
    run: async (call: HostAttentionCall) => ({ out: await run(a.plan(call)) }),
    ...(planDecode && a.supportsDecode
      ? { decode: (call: HostDecodeCall) => run(planDecode(call)), supportsDecode: a.supportsDecode }
      : {}),
    ortPlan,
    onnxRepro: (call: HostAttentionCall | HostDecodeCall) => reproParts(ortPlan(call), runtime, ep),
    sessions,
    version,
    close: () => sessions.close(),
  });
}
