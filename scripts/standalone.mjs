#!/usr/bin/env node
/**
 * `npm run build:standalone`: attnfuzz as one JavaScript file for a node that has only `node` and
 * `python3` (a GPU runner that reaches no registry): esbuild bundles the CLI and its campaign
 * worker into dist-standalone/attnfuzz.mjs, beside it go tfjs's wasm files and the PyTorch worker.
 *
 *   node scripts/standalone.mjs [--out dist-standalone]
 *   node dist-standalone/attnfuzz.mjs check --kernel torch:sdpa --time 60
 *   node dist-standalone/attnfuzz.mjs fuzz --kernels torch:sdpa --device 'cuda:{i}' --workers 8
 *
 * Left out (optional peers, loaded only when asked): @tensorflow/tfjs-node[-gpu] (the tensorflow
 * backend), onnxruntime-*, playwright-core, esbuild, tsx (user kernels written in TypeScript: use
 * .mjs/.js modules, py: or exec: targets instead).
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--out');
const out = i >= 0 ? process.argv[i + 1] : join(root, 'dist-standalone');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Source rewrites the bundle needs: the campaign worker is this file, the version is known without package.json. */
const REWRITES = [
  {
    file: /src[\\/]campaign[\\/]spawn\.ts$/,
    from: [
      /new URL\('\.\/worker\.js', import\.meta\.url\)/g,
      /new URL\(fromSources \? '\.\/worker\.ts' : '\.\/worker\.js', import\.meta\.url\)/g,
    ],
    to: 'new URL(import.meta.url)',
  },
  // The union package registers every gradient on tfjs-core's one engine: bundled, from a require esbuild can see.
  {
    file: /src[\\/]backend[\\/]tfjs\.ts$/,
    from: [/createRequire\(import\.meta\.url\)\('@tensorflow\/tfjs'\);/],
    to: "require('@tensorflow/tfjs');",
  },
  {
    file: /src[\\/]corpus[\\/]save\.ts$/,
    from: [/if \(up === dir\) return 'unknown';/],
    to: `if (up === dir) return ${JSON.stringify(version)};`,
  },
];

const rewrite = {
  name: 'attnfuzz-standalone',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const r = REWRITES.find((x) => x.file.test(args.path));
      if (!r) return undefined;
      let text = readFileSync(args.path, 'utf8');
      for (const f of r.from) {
        if (!f.test(text))
          throw new Error(`standalone: ${args.path} no longer has ${f}: update scripts/standalone.mjs`);
        text = text.replace(f, r.to);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bundle = join(out, 'attnfuzz.mjs');
await build({
  entryPoints: [join(root, 'scripts/standalone-entry.mjs')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // tfjs backends register themselves on import; their package.json sideEffects lists miss the node builds.
  ignoreAnnotations: true,
  plugins: [rewrite],
  external: [
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    '@tensorflow/tfjs-backend-webgpu',
    'onnxruntime-node',
    'onnxruntime-web',
    'playwright-core',
    'esbuild',
    'tsx',
    'tsx/*',
  ],
  // CommonJS dependencies (emscripten's wasm loader reads __dirname) inside an ES module.
  banner: {
    js:
      '#!/usr/bin/env node\n' +
      "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; " +
      "import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); " +
      'const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
  },
  logLevel: 'warning',
});
const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
  copyFileSync(join(wasmDir, f), join(out, f));
copyFileSync(join(root, 'targets/torch/attnfuzz_worker.py'), join(out, 'attnfuzz_worker.py'));
const mb = (f) => statSync(join(out, f)).size / 2 ** 20;
const files = [
  'attnfuzz.mjs',
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
  'attnfuzz_worker.py',
];
const total = files.reduce((n, f) => n + mb(f), 0);
console.log(
  `standalone: ${out}: ${files.map((f) => `${f} ${mb(f).toFixed(2)} MB`).join(', ')}; ${total.toFixed(1)} MB in all`,
);
