/**
 * The page's script: esbuild bundles page/entry.ts, tfjs-core with its gradients, the webgpu and
 * webgl backends, and the kernel under test into one IIFE. The kernel is a built-in (bundled from
 * src/runner/registry.ts, the one list of them) or a user's module (its default export, as
 * `--kernel file.ts` loads it in Node). In the page:
 *
 *   import of        resolves to
 *   'attnfuzz'       src/contract (defineAttentionKernel and the contract's helpers)
 *   src/backend      page/backendShim.ts: the page's tfjs namespace (`tf`), nothing else
 *   src/execute      an empty module; so is any import of the registry other than kernels/ and
 *                    src/contract (its targets: ONNX Runtime, worker processes)
 *   tfjs-core        the one copy the backends use, so tensors of the kernel and the page mix
 *
 * One bundle per kernel per process (cached by kernel source); it takes about a second.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** The kernel under test as the page loads it. */
export type PageKernelSource = { readonly builtin: string } | { readonly module: string };

const HERE = dirname(fileURLToPath(import.meta.url));

/** A source file next to this one (.ts from the repository, .js from the built package). */
function sibling(rel: string): string {
  const ts = resolve(HERE, `${rel}.ts`);
  return existsSync(ts) ? ts : resolve(HERE, `${rel}.js`);
}

/** The generated entry: the kernel's roles handed to startPage. */
function entrySource(kernel: PageKernelSource): string {
  const start = `import { startPage } from ${JSON.stringify(sibling('page/entry'))};\n`;
  if ('builtin' in kernel) {
    return (
      start +
      `import { BUILTINS } from ${JSON.stringify(sibling('../../runner/registry'))};\n` +
      `const b = BUILTINS[${JSON.stringify(kernel.builtin)}];\n` +
      `if (!b) throw new Error('attnfuzz page: no built-in kernel ' + ${JSON.stringify(kernel.builtin)});\n` +
      'startPage({ attention: b.attention ?? null, decode: b.decode ?? null });\n'
    );
  }
  return (
    start +
    `import * as m from ${JSON.stringify(kernel.module)};\n` +
    'const k = m.default;\n' +
    "startPage({ attention: typeof k?.forward === 'function' ? () => k : null,\n" +
    "  decode: typeof k?.decode === 'function' ? k : null });\n"
  );
}

/** Thrown when the page cannot be bundled: esbuild's first error, one line, with where. */
export class PageBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageBundleError';
  }
}

const cache = new Map<string, Promise<string>>();
const NODE_ONLY = new Set(builtinModules);
const PAGE_IMPORTS =
  'A kernel for the page may import src/contract (or attnfuzz), the tf of src/backend, kernels/ and packages ' +
  'that run in a browser';

/** The page's script for `kernel`; a module path is resolved against the working directory. */
export function bundlePage(kernel: PageKernelSource): Promise<string> {
  const k =
    'module' in kernel ? { module: isAbsolute(kernel.module) ? kernel.module : resolve(kernel.module) } : kernel;
  const key = JSON.stringify(k);
  let p = cache.get(key);
  if (p === undefined) {
    p = build(k);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** The ONNX Runtime Web page's script (page/ortEntry.ts; onnxruntime-web itself is loaded by the page). */
export function bundleOrtPage(): Promise<string> {
  let p = cache.get('ort');
  if (p === undefined) {
    p = (async () => {
      const esbuild = await import('esbuild');
      const r = await esbuild.build({
        entryPoints: [sibling('page/ortEntry')],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        target: 'chrome113',
        logLevel: 'silent',
      });
      return r.outputFiles[0]!.text;
    })();
    cache.set('ort', p);
    p.catch(() => cache.delete('ort'));
  }
  return p;
}

/**
 * What the page's imports resolve to (see the header): 'attnfuzz' is the contract, src/backend the
 * page's tf, src/execute (the executors) and whatever else the registry imports besides the
 * kernels and the contract (its targets) an empty module, and a Node built-in imported by the
 * kernel's own code an error naming the file.
 */
function pagePlugin(): Plugin {
  const contract = sibling('../../contract/index');
  const shim = sibling('page/backendShim');
  const folderIndex = (folder: string) => new RegExp(`[\\\\/]src[\\\\/]${folder}([\\\\/]index(\\.ts|\\.js)?)?$`);
  const [backendIndex, executeIndex] = [folderIndex('backend'), folderIndex('execute')];
  const registry = /[\\/]src[\\/]runner[\\/]registry\.(ts|js)$/;
  return {
    name: 'attnfuzz-page',
    setup(b) {
      b.onResolve({ filter: /^attnfuzz$/ }, () => ({ path: contract }));
      // Packages map Node built-ins away for browsers themselves (their "browser" field).
      b.onResolve({ filter: /^[a-z_:/]+$/ }, (a) =>
        NODE_ONLY.has(a.path.replace(/^node:/, '')) && !/[\\/]node_modules[\\/]/.test(a.importer)
          ? { errors: [{ text: `imports "${a.path}", which exists only in Node. ${PAGE_IMPORTS}` }] }
          : null,
      );
      // Of what the registry imports, the page needs the kernels and the contract; not the targets and
      // executors it also lists (Node code: ONNX Runtime, worker processes).
      b.onResolve({ filter: /^\./ }, (a) => {
        if (!registry.test(a.importer)) return null;
        const full = resolve(a.resolveDir, a.path);
        return /[\\/]kernels[\\/]|[\\/]src[\\/]contract[\\/]/.test(full)
          ? null
          : { path: full, namespace: 'attnfuzz-empty' };
      });
      b.onResolve({ filter: /[\\/](backend|execute)([\\/]index(\.js|\.ts)?)?$/ }, (a) => {
        const full = resolve(a.resolveDir, a.path);
        if (backendIndex.test(full)) return { path: shim };
        return executeIndex.test(full) ? { path: 'executors', namespace: 'attnfuzz-empty' } : null;
      });
      // A CommonJS module: any name imported from it is undefined, and nothing in the page calls them.
      b.onLoad({ filter: /.*/, namespace: 'attnfuzz-empty' }, () => ({
        contents: 'module.exports = {};',
        loader: 'js',
      }));
    },
  };
}

async function build(kernel: PageKernelSource): Promise<string> {
  const esbuild = await import('esbuild').catch(() => {
    throw new PageBundleError('browser: bundling the page needs esbuild (npm install esbuild)');
  });
  try {
    const r = await esbuild.build({
      stdin: { contents: entrySource(kernel), resolveDir: join(HERE, '..', '..', '..'), loader: 'ts' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome113',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      plugins: [pagePlugin()],
    });
    return r.outputFiles[0]!.text;
  } catch (e) {
    type Message = { text: string; pluginName: string; location?: { file: string; line: number } | null };
    const errors = (e as { errors?: Message[] }).errors;
    // Ours first: it names the user's file that imports a Node module, not the package that does.
    const first = errors?.find((x) => x.pluginName === 'attnfuzz-page') ?? errors?.[0];
    const where =
      first?.location && first.location.file !== '<stdin>' ? `${first.location.file}:${first.location.line}: ` : '';
    throw new PageBundleError(`browser: bundling the page failed: ${where}${first?.text ?? (e as Error).message}`);
  }
}
