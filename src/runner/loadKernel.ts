/**
 * Loads a kernel module named on the command line (or in a saved case) and checks that its default
 * export fits the suite it is asked for.
 *
 * `--kernel <module>` loads a module (.ts, .mts, .mjs, .js, from any folder) whose default export
 * is the kernel (`defineAttentionKernel({ name, forward, supports? })`, `defineLoraKernel({ name,
 * forward })`, `defineDecodeKernel({ name, decode })`, or a plain object of that shape; an
 * attention kernel with a `decode` field runs in the decode suite too). A .ts module loads through
 * tsx (the CLI already runs under it; in a plain Node process tsx's loader API is used). The export
 * is validated once, here, and every problem is one line naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AttentionKernel,
  type DecodeKernel,
  describeValue,
  type HostKernel,
  type LoraKernel,
  PRECISIONS,
} from '../contract/index.js';
import {
  builtinKernel,
  fixedKernel,
  hostKernelUnderTest,
  KernelLoadError,
  type KernelUnderTest,
} from './kernelUnderTest.js';
import { BUILTIN_KERNELS, builtinsFor, isBuiltinKernel } from './registry.js';
import type { SuiteName } from './suites/kinds.js';
import { TARGETS, type TargetOptions, targetOf } from './targets.js';

/**
 * Checks that `value` is a kernel of the suite's kind; `where` names the file. `'any'`: of the kind
 * it looks like (a LoRA kernel by its kind, a decode kernel by a decode without a forward, else an
 * attention kernel), for tools that take every kind (a campaign's --kernels).
 */
export function validateKernel(
  value: unknown,
  where: string,
  kind: SuiteName | 'any' = 'attention',
): AttentionKernel | LoraKernel | DecodeKernel | HostKernel {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (v.kind === 'host') return validateHost(v, where, kind);
  const suite: SuiteName = kind !== 'any' ? kind : guessSuite(v);
  const shape = {
    lora: 'a LoraKernel { name, forward(x, W0, A, B, spec, tf) }',
    decode: 'a DecodeKernel { name, decode(q, cache, cacheSeqlens, opts, tf) } (defineDecodeKernel)',
    attention: 'an AttentionKernel { name, forward(q, k, v, opts, tf), supports? }',
    training: 'an AttentionKernel { name, forward(q, k, v, opts, tf), supports? }',
  }[suite];
  if (typeof value !== 'object' || value === null)
    throw new KernelLoadError(`${where}: default export must be ${shape}, got ${describeValue(value)}`);
  const k = value as Record<string, unknown>;
  if (typeof k.name !== 'string' || k.name.length === 0)
    throw new KernelLoadError(
      `${where}: default export .name must be a non-empty string, got ${describeValue(k.name)}`,
    );
  if (suite === 'decode') return validateDecode(k, where);
  if (typeof k.forward !== 'function' && typeof k.decode === 'function' && suite !== 'lora') {
    throw new KernelLoadError(
      `${where}: is a decode kernel (defineDecodeKernel: .decode, no .forward); the ${suite} suite needs an ` +
        `attention kernel (or run it with --suite decode)`,
    );
  }
  if (typeof k.forward !== 'function') {
    const sig = suite === 'lora' ? '(x, W0, A, B, spec, tf) => y' : '(q, k, v, opts, tf) => out';
    throw new KernelLoadError(
      `${where}: default export .forward must be a function ${sig}, got ${describeValue(k.forward)}`,
    );
  }
  if (k.supports !== undefined && typeof k.supports !== 'function') {
    throw new KernelLoadError(
      `${where}: default export .supports must be a function (opts, shapes) => true | reason, got ` +
        `${describeValue(k.supports)}`,
    );
  }
  if (suite !== 'lora') validateDeclarations(k, where);
  return value as AttentionKernel | LoraKernel;
}

/**
 * The suite a kernel object looks made for, when none was named: a LoRA kernel by its kind or by a
 * forward of six parameters (x, W0, A, B, spec, tf), a decode kernel by a decode without a forward,
 * else an attention kernel. Optional fields (supports, features) say nothing about the kind.
 */
function guessSuite(v: Record<string, unknown>): SuiteName {
  if (v.kind === 'lora') return 'lora';
  if (typeof v.forward === 'function' && v.forward.length === 6) return 'lora';
  return typeof v.forward !== 'function' && typeof v.decode === 'function' ? 'decode' : 'attention';
}

/** A host kernel (defineHostKernel): the method its suite needs, and its declarations. */
function validateHost(k: Record<string, unknown>, where: string, kind: SuiteName | 'any'): HostKernel {
  if (typeof k.name !== 'string' || k.name.length === 0)
    throw new KernelLoadError(
      `${where}: default export .name must be a non-empty string, got ${describeValue(k.name)}`,
    );
  const method = { attention: 'run', decode: 'decode', lora: 'lora', training: null, any: null }[kind];
  if (kind === 'training')
    throw new KernelLoadError(
      `${where}: is a host kernel (defineHostKernel); the training suite differentiates the whole model with ` +
        'tfjs and needs a tfjs attention kernel',
    );
  const methods = ['run', 'decode', 'lora'].filter((m) => typeof k[m] === 'function');
  if (method !== null && typeof k[method] !== 'function')
    throw new KernelLoadError(
      `${where}: host kernel .${method} must be a function for the ${kind} suite, got ${describeValue(k[method])}` +
        `${methods.length > 0 ? ` (it has ${methods.join(', ')})` : ''}`,
    );
  if (methods.length === 0)
    throw new KernelLoadError(`${where}: host kernel has none of run, decode, lora (defineHostKernel)`);
  for (const f of ['supports', 'supportsDecode', 'supportsLora', 'close'])
    if (k[f] !== undefined && typeof k[f] !== 'function')
      throw new KernelLoadError(`${where}: host kernel .${f} must be a function, got ${describeValue(k[f])}`);
  const p = k.precisions;
  if (p !== undefined && (!Array.isArray(p) || !p.every((x) => (PRECISIONS as readonly unknown[]).includes(x))))
    throw new KernelLoadError(
      `${where}: host kernel .precisions must be a list of ${PRECISIONS.join(', ')}, got ${JSON.stringify(p)}`,
    );
  validateDeclarations(k, where);
  return k as unknown as HostKernel;
}

/** A decode kernel, or an attention kernel with a decode field (then its attention declarations are checked too). */
function validateDecode(k: Record<string, unknown>, where: string): DecodeKernel {
  if (k.kind === 'lora')
    throw new KernelLoadError(
      `${where}: is a LoRA kernel (defineLoraKernel); the decode suite needs a decode kernel ` +
        `(defineDecodeKernel({ name, decode }))`,
    );
  if (typeof k.decode !== 'function') {
    const what =
      typeof k.forward === 'function'
        ? `an attention kernel without one (give it a decode field, or export defineDecodeKernel({ name, decode }))`
        : describeValue(k.decode);
    throw new KernelLoadError(
      `${where}: default export .decode must be a function (q, cache, cacheSeqlens, opts, tf) => out, got ${what}`,
    );
  }
  if (k.forward !== undefined) validateKernel(k, where, 'attention');
  return k as unknown as DecodeKernel;
}

/**
 * The optional declarations of an attention kernel (tiles, guarantees, backward, forwardWithKeep), each checked once.
 */
function validateDeclarations(k: Record<string, unknown>, where: string): void {
  const fail = (field: string, rule: string, got: unknown) => {
    throw new KernelLoadError(
      `${where}: default export .${field} must be ${rule}, got ` +
        `${describeValue(got)}${typeof got === 'number' ? ` ${got}` : ''}`,
    );
  };
  if (k.tiles !== undefined) {
    const t = k.tiles as Record<string, unknown> | null;
    const ok = (x: unknown) => Number.isInteger(x) && (x as number) >= 1;
    if (typeof t !== 'object' || t === null || !ok(t.Br) || !ok(t.Bc))
      fail('tiles', '{ Br, Bc } of two integers >= 1', t);
  }
  if (k.guarantees !== undefined) {
    const g = k.guarantees as Record<string, unknown> | null;
    if (typeof g !== 'object' || g === null) fail('guarantees', 'an object such as { unseenKeysUnread: true }', g);
    const unknown = Object.keys(g!).filter((x) => x !== 'unseenKeysUnread');
    if (unknown.length > 0)
      fail('guarantees', `an object of known guarantees (unseenKeysUnread); unknown: ${unknown.join(', ')}`, g);
    if (g!.unseenKeysUnread !== undefined && typeof g!.unseenKeysUnread !== 'boolean')
      fail('guarantees.unseenKeysUnread', 'a boolean', g!.unseenKeysUnread);
  }
  if (k.backward !== undefined && typeof k.backward !== 'boolean')
    fail('backward', 'a boolean (false: the kernel has no backward)', k.backward);
  if (k.forwardWithKeep !== undefined && typeof k.forwardWithKeep !== 'function')
    fail('forwardWithKeep', 'a function (q, k, v, opts, tf) => { out, keep }', k.forwardWithKeep);
}

let tsxRegistered = false;

/**
 * Imports a kernel module. Under the repo's CLI (already running in tsx) a .ts file imports as is;
 * in plain Node (the installed package) tsx's loader is registered once, globally, rather than
 * through tsImport, so the user module and attnfuzz share one instance of attnfuzz's own modules.
 */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if (!/\.[cm]?ts$/.test(file) || tsxRegistered) throw e;
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
    return (await import(`${url}?tsx`)) as Record<string, unknown>;
  }
}

/** Loads the default-exported kernel of the module at `file` (relative to `cwd`). */
export async function loadKernelModule(
  file: string,
  cwd = process.cwd(),
  where = '--kernel',
  suite: SuiteName | 'any' = 'attention',
): Promise<AttentionKernel | LoraKernel | DecodeKernel | HostKernel> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    const prefixes = Object.keys(TARGETS).map((p) => `${p}:`);
    throw new KernelLoadError(
      `${where} ${file}: no such file (looked for ${path}); built-in kernels are ${BUILTIN_KERNELS.join(', ')}` +
        (prefixes.length > 0 ? `; targets are ${prefixes.join(', ')}...` : ''),
    );
  }
  if (statSync(path).isDirectory())
    throw new KernelLoadError(`${where} ${file}: is a folder, expected a module file (.ts, .mjs, .js)`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (e) {
    throw new KernelLoadError(
      `${where} ${file}: failed to load: ${((e as Error).message ?? String(e)).split('\n')[0]}`,
    );
  }
  return validateKernel(mod.default, `${where} ${file}`, suite);
}

/** What `resolveKernel` passes on to a target (its flags); `cwd` is resolveKernel's own. */
export type ResolveOptions = Omit<TargetOptions, 'cwd'>;

/**
 * `--kernel <name | target | module>` for a suite: a built-in that runs in it, a target
 * (`prefix:rest`, registry.ts TARGETS) made into a host kernel, or a module path, validated as the
 * kernel the suite needs (a module for `--suite lora` as a LoRA kernel, whatever optional fields it has).
 */
export async function resolveKernel(
  spec: string,
  suite: SuiteName = 'attention',
  cwd = process.cwd(),
  where = '--kernel',
  o: ResolveOptions = {},
): Promise<KernelUnderTest> {
  if (isBuiltinKernel(spec)) {
    const k = builtinKernel(spec);
    if (k[suite] === undefined) {
      throw new KernelLoadError(
        `${where} ${spec}: the built-in '${spec}' does not run in the ${suite} suite; built-ins that do: ` +
          `${builtinsFor(suite).join(', ')}`,
      );
    }
    return k;
  }
  const t = targetOf(spec);
  if (t !== null) {
    let host: HostKernel;
    try {
      host = await t.target.create(t.rest, { ...o, cwd });
    } catch (e) {
      throw new KernelLoadError(`${where} ${spec}: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
    const k = hostKernelUnderTest(
      validateHost(host as unknown as Record<string, unknown>, `${where} ${spec}`, suite),
      { target: spec },
      spec,
    );
    return k;
  }
  const loaded = await loadKernelModule(spec, cwd, where, suite);
  const isLora = (loaded as LoraKernel).kind === 'lora';
  if (isLora && suite !== 'lora' && suite !== 'decode')
    throw new KernelLoadError(
      `${where} ${spec}: is a LoRA kernel (defineLoraKernel); the ${suite} suite needs an attention kernel ` +
        `(or run it with --suite lora)`,
    );
  return fixedKernel(loaded, suite, { module: spec }, spec);
}
