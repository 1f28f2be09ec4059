/**
 * User kernels: `--kernel <module>` loads a module (.ts, .mts, .mjs, .js, from any folder) whose
 * default export is an AttentionKernel, `defineAttentionKernel({ name, forward, supports? })` or a
 * plain object of that shape. A .ts module loads through tsx (the CLI already runs under it; in a
 * plain Node process tsx's loader API is used). The export is validated once, here, and every
 * problem is one line naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AttentionKernel } from '../kernel/index.js';
import { builtinKernel, isBuiltinKernel, type KernelUnderTest } from './kernels.js';

/** A kernel that could not be loaded; the message is one line: where, rule, received. */
export class KernelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelLoadError';
  }
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? `an object with keys [${Object.keys(v as object).join(', ')}]` : typeof v);

/** Checks that `value` is an AttentionKernel; `where` names the file. */
export function validateKernel(value: unknown, where: string): AttentionKernel {
  if (typeof value !== 'object' || value === null) {
    throw new KernelLoadError(`${where}: default export must be an AttentionKernel { name, forward(q, k, v, opts, tf), supports? }, got ${describe(value)}`);
  }
  const k = value as Record<string, unknown>;
  if (typeof k.name !== 'string' || k.name.length === 0) throw new KernelLoadError(`${where}: default export .name must be a non-empty string, got ${describe(k.name)}`);
  if (typeof k.forward !== 'function') throw new KernelLoadError(`${where}: default export .forward must be a function (q, k, v, opts, tf) => out, got ${describe(k.forward)}`);
  if (k.supports !== undefined && typeof k.supports !== 'function') {
    throw new KernelLoadError(`${where}: default export .supports must be a function (opts, shapes) => true | reason, got ${describe(k.supports)}`);
  }
  return value as AttentionKernel;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.[cm]?ts$/.test(file)) throw e;
    // Plain Node cannot import TypeScript: go through tsx's loader.
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}

/** Loads the default-exported kernel of the module at `file` (relative to `cwd`). */
export async function loadKernelModule(file: string, cwd = process.cwd(), where = '--kernel'): Promise<AttentionKernel> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new KernelLoadError(`${where} ${file}: no such file (looked for ${path}); built-in kernels are eager, sdpa, flash`);
  if (statSync(path).isDirectory()) throw new KernelLoadError(`${where} ${file}: is a folder, expected a module file (.ts, .mjs, .js)`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (e) {
    throw new KernelLoadError(`${where} ${file}: failed to load: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
  }
  return validateKernel(mod.default, `${where} ${file}`);
}

/** `--kernel <name | module>`: a built-in name or a module path. */
export async function resolveKernel(spec: string, cwd = process.cwd(), where = '--kernel'): Promise<KernelUnderTest> {
  if (isBuiltinKernel(spec)) return builtinKernel(spec);
  const kernel = await loadKernelModule(spec, cwd, where);
  return { label: spec, ref: { module: spec }, forCase: () => kernel };
}
