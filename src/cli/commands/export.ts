/**
 * `attnfuzz export`: a saved case as a standalone repro that runs without attnfuzz.
 *
 *   --torch FILE [--out SCRIPT]   an attention case as a Python script (src/report torchScript.ts) that
 *                                 rebuilds its tensors, runs `kernel_under_test` (PyTorch SDPA unless you
 *                                 swap it) forward and backward, and prints attnfuzz's verdict lines
 *   --onnx FILE [--kernel ort:*] [--out DIR]
 *                                 an attention or decode case run through an ONNX Runtime target
 *                                 (the saved case's, or --kernel) as a folder: model.onnx, inputs.json,
 *                                 expected.json, repro.mjs (onnxruntime-node), repro.py (onnxruntime),
 *                                 README.md (src/report onnxRepro.ts): how a user files it upstream
 *
 * Exit 0: written; 2: the file cannot be read or the case cannot be exported (a flag error too).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { AttentionCase, DecodeCase } from '../../case/index.js';
import type { HostAttentionCall, HostDecodeCall, HostKernel } from '../../contract/index.js';
import { readSavedCase, signatureOfSaved, signatureText } from '../../corpus/index.js';
import type { MaterialisedAttention, MaterialisedDecode } from '../../data/index.js';
import { hostOptions, toHostArray } from '../../execute/index.js';
import { worstDiff } from '../../oracle/index.js';
import { type OnnxReproParts, onnxReproFiles, torchScript } from '../../report/index.js';
import { attentionSuite, decodeSuite, type KernelUnderTest, resolveKernel } from '../../runner/index.js';
import type { Io } from '../io.js';

export interface ExportFlags {
  readonly torch?: string;
  readonly onnx?: string;
  readonly kernel?: string;
  readonly out?: string;
}

const lineOf = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

function runTorch(file: string, out: string | undefined, io: Io): number {
  const script = out ?? file.replace(/\.json$/, '') + '.py';
  try {
    const saved = readSavedCase(file);
    if (saved.case.kind !== 'attention')
      throw new Error(`${file}: only attention cases can be exported to PyTorch (this is a ${saved.kind} case)`);
    const text = torchScript({
      case: saved.case,
      source: file,
      signature: signatureText(signatureOfSaved(saved)),
      found: saved.found?.verdict ?? '(not recorded)',
    });
    writeFileSync(script, text);
  } catch (e) {
    const line = lineOf(e);
    io.err(`export: ${line.startsWith(file) ? line : `${file}: ${line}`}\n`);
    return 2;
  }
  io.out(`wrote ${script}: run it with python3 ${script} (PyTorch; swap kernel_under_test for the kernel to check)\n`);
  return 0;
}

type OnnxKernel = HostKernel & { readonly onnxRepro: (call: HostAttentionCall | HostDecodeCall) => OnnxReproParts };

/** The host call a case makes, its float64 expected out and the oracle's allowance for it. */
function callOf(k: KernelUnderTest, c: AttentionCase | DecodeCase) {
  if (c.kind === 'attention') {
    const m: MaterialisedAttention = attentionSuite.materialise(c);
    const { q, k: key, v } = m.inputs;
    const call = {
      q: toHostArray(q),
      k: toHostArray(key),
      v: toHostArray(v),
      options: hostOptions(m.options, q, key),
      dOut: null,
    };
    const spec = attentionSuite.specs(k, c, m, attentionSuite.reference(c, m)).find((s) => s.name === 'out')!;
    return { call, spec };
  }
  const m: MaterialisedDecode = decodeSuite.materialise(c);
  const cache =
    m.cache.kind === 'contiguous'
      ? { kind: 'contiguous' as const, k: toHostArray(m.cache.k), v: toHostArray(m.cache.v) }
      : { ...m.cache, kPages: toHostArray(m.cache.kPages), vPages: toHostArray(m.cache.vPages) };
  const call = { q: toHostArray(m.q), cache, cacheSeqlens: [...m.cacheSeqlens], options: m.options };
  const spec = decodeSuite.specs(k, c, m, decodeSuite.reference(c, m))[0]!;
  return { call, spec };
}

async function runOnnx(file: string, flags: ExportFlags, io: Io): Promise<number> {
  const dir = flags.out ?? `${file.replace(/\.json$/, '')}.onnx-repro`;
  let k: KernelUnderTest | null = null;
  try {
    const saved = readSavedCase(file);
    const c = saved.case;
    if (c.kind !== 'attention' && c.kind !== 'decode')
      throw new Error(`only attention and decode cases run through ONNX Runtime (this is a ${c.kind} case)`);
    const spec = flags.kernel ?? (saved.kernel && 'target' in saved.kernel ? saved.kernel.target : undefined);
    if (spec === undefined || !spec.startsWith('ort:'))
      throw new Error(
        `the case was not found by an ort:* target: name one with --kernel ort:attention|ort:mha|ort:gqa`,
      );
    k = await resolveKernel(spec, c.kind, process.cwd(), '--kernel');
    const host = (c.kind === 'attention' ? k.attention?.(c) : k.decode) as OnnxKernel | undefined;
    if (host === undefined || typeof host.onnxRepro !== 'function')
      throw new Error(`${spec} does not run ${c.kind} cases through ONNX Runtime`);
    const { call, spec: out } = callOf(k, c);
    const base = out.baseline === null ? null : worstDiff(out.baseline, out.expected).error;
    const files = onnxReproFiles({
      parts: host.onnxRepro(call),
      expected: out.expected,
      allowed: out.allowance(base !== null && Number.isFinite(base) ? base : null).allowed,
      kernel: spec,
      source: file,
      caseJson: JSON.stringify(c),
      found: saved.found?.verdict ?? '(not recorded)',
    });
    mkdirSync(dir, { recursive: true });
    for (const [name, data] of files) writeFileSync(join(dir, name), data);
  } catch (e) {
    const line = lineOf(e);
    io.err(`export: ${line.startsWith(file) ? line : `${file}: ${line}`}\n`);
    return 2;
  } finally {
    await k?.close?.();
  }
  io.out(
    `wrote ${dir}/: node ${join(dir, 'repro.mjs')} (onnxruntime-node), ` +
      `python3 ${join(dir, 'repro.py')} (onnxruntime)\n`,
  );
  return 0;
}

export async function runExport(flags: ExportFlags, io: Io): Promise<number> {
  if ((flags.torch === undefined) === (flags.onnx === undefined)) {
    io.err('export: name one case: --torch FILE (a PyTorch script) or --onnx FILE (an ONNX Runtime repro)\n');
    return 2;
  }
  if (flags.torch !== undefined) return runTorch(flags.torch, flags.out, io);
  return runOnnx(flags.onnx!, flags, io);
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('export')
    .description(
      'write a saved case as a standalone repro: --torch, a PyTorch script (exact tensors, kernel_under_test, ' +
        'forward and backward, verdict); --onnx, an ONNX Runtime folder (model.onnx, inputs, expected, Node and ' +
        'Python scripts)',
    )
    .addOption(new Option('--torch <file>', 'the saved attention case (.json) to export as a PyTorch script'))
    .addOption(new Option('--onnx <file>', 'the saved attention or decode case (.json) to export as an ONNX repro'))
    .addOption(new Option('--kernel <spec>', "--onnx: the ort:* target to run it through (default: the case's)"))
    .addOption(
      new Option('--out <path>', 'where to write (default: the case file with .py, or .onnx-repro/ for --onnx)'),
    )
    .action(async (opts: ExportFlags) => setCode(await runExport(opts, io)));
}
