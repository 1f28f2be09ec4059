/**
 * The architecture rules (docs/ARCHITECTURE.md, docs/STYLE.md rule 1) as a function over source files, so
 * the test can run it on the real tree and on a tree with planted violations. Every relative
 * import is resolved to the file it names (any depth of ../), then:
 *
 *   layers      src folders import only their own layer or layers below:
 *                 cli > campaign > runner, corpus, report, golden > training > case, data, oracle, reference
 *                 > contract, backend, execute
 *   index       code outside a src folder imports it only through its index.ts
 *   registry    only src/runner/registry.ts (of src's non-test files) imports kernels/
 *   kernels     kernels/ (non-test files) imports only src/contract and kernels/ itself
 *   targets     targets/ (non-test files) imports only src/contract, src/execute and targets/ itself; of
 *               src's non-test files only src/runner/targets.ts (the TARGETS table) imports targets/
 *   cycles      no cycle between non-test files, nor between src folders
 *   size        no source file over 300 lines
 *   width       no line of a tracked source file over 120 characters (overlongLines: biome wraps code
 *               but not comments, strings, shell or Python, so those are wrapped by hand)
 *   tests       test/ and properties/ do not import each other; fixtures/ (broken kernels, the test
 *               profile) imports neither: what both need lives in fixtures/
 */
import { dirname, join, normalize } from 'node:path';

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

const LAYERS: Record<string, number> = {
  contract: 0,
  backend: 0,
  execute: 0,
  case: 1,
  data: 1,
  oracle: 1,
  reference: 1,
  training: 2,
  runner: 3,
  corpus: 3,
  report: 3,
  golden: 3,
  campaign: 4,
  bench: 4,
  cli: 5,
};
const REGISTRY = 'src/runner/registry.ts';
const TARGET_TABLE = 'src/runner/targets.ts';
const MAX_LINES = 300;
const TARGET_MAY = ['src/contract/index.ts', 'src/execute/index.ts'];
/** Top-level folders a folder may not import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  test: ['properties'],
  properties: ['test'],
  fixtures: ['test', 'properties'],
};
const FORBIDDEN_WHY =
  'test/ and properties/ do not import each other, and fixtures/ imports neither (what both need goes in fixtures/)';

/** biome.jsonc's lineWidth. */
export const MAX_WIDTH = 120;
/** The source files the width rule reads, as `git ls-files` pathspecs. */
export const WIDTH_FILES = ['*.ts', '*.mjs', '*.js', '*.cjs', '*.py', '*.sh', '*.json'];
/**
 * Files the width rule leaves alone, being written by a program and kept as written: the corpus
 * (saved cases and golden files, one JSON line each), the findings' repros (`attnfuzz export --onnx`
 * writes repro.*, inputs.json and expected.json; case.json keeps an upstream error message whole),
 * the mutation reports (`npm run mutate -- --docs` writes docs/mutation/: Stryker's JSON, the rows)
 * and npm's lockfile.
 */
export const widthExempt = (p: string) =>
  p.startsWith('corpus/') ||
  p.startsWith('docs/mutation/') ||
  /(^|\/)package-lock\.json$/.test(p) ||
  /^docs\/findings\/.+\/(repro\.[^/]+|[^/]+\.json)$/.test(p);

const isTest = (p: string) => p.endsWith('.test.ts');
const srcFolder = (p: string) => /^src\/([a-z]+)\//.exec(p)?.[1] ?? null;

/** The relative imports of a file, resolved to repository paths (.js -> .ts). */
export function importsOf(f: SourceFile): string[] {
  const specs = [
    ...f.text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|(?:^|\n)\s*import\s+'(\.[^']+)'/g),
  ].map((m) => m[1] ?? m[2]!);
  return specs.map((s) => normalize(join(dirname(f.path), s)).replace(/\.js$/, '.ts'));
}

function cycles(graph: Map<string, string[]>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') out.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return out;
}

/**
 * Every violation, one line each (`src/oracle/x.ts: imports kernels/eager/index.ts: only
 * src/runner/registry.ts may`).
 */
export function architectureViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  const fileGraph = new Map<string, string[]>();
  const folderGraph = new Map<string, Set<string>>();
  for (const f of files) {
    const lines = f.text.split('\n').length;
    if (lines > MAX_LINES) out.push(`${f.path}: ${lines} lines (over ${MAX_LINES}: split it)`);
    const from = srcFolder(f.path);
    const targets = importsOf(f);
    if (!isTest(f.path)) fileGraph.set(f.path, targets);
    for (const to of targets) {
      const bad = (rule: string) => out.push(`${f.path}: imports ${to}: ${rule}`);
      const toFolder = srcFolder(to);
      const top = (p: string) => p.split('/')[0]!;
      if (FORBIDDEN[top(f.path)]?.includes(top(to))) bad(FORBIDDEN_WHY);
      if (to.startsWith('kernels/') && f.path.startsWith('src/') && f.path !== REGISTRY && !isTest(f.path))
        bad(`only ${REGISTRY} may import kernels/`);
      if (
        f.path.startsWith('kernels/') &&
        !isTest(f.path) &&
        !to.startsWith('kernels/') &&
        to !== 'src/contract/index.ts'
      )
        bad('kernels/ may import only src/contract/index.ts');
      if (to.startsWith('targets/') && f.path.startsWith('src/') && f.path !== TARGET_TABLE && !isTest(f.path))
        bad(`only ${TARGET_TABLE} may import targets/`);
      if (f.path.startsWith('targets/') && !isTest(f.path) && !to.startsWith('targets/') && !TARGET_MAY.includes(to))
        bad('targets/ may import only src/contract/index.ts and src/execute/index.ts');
      if (toFolder && toFolder !== from && !to.endsWith(`src/${toFolder}/index.ts`) && toFolder !== 'cli')
        bad(`import src/${toFolder} through its index.ts`);
      if (from && toFolder && from !== toFolder && !isTest(f.path)) {
        if ((LAYERS[toFolder] ?? 99) > (LAYERS[from] ?? -1))
          bad(
            `src/${from} (layer ${LAYERS[from]}) may not import the layer above it (src/${toFolder}, layer ` +
              `${LAYERS[toFolder]})`,
          );
        folderGraph.set(from, (folderGraph.get(from) ?? new Set()).add(toFolder));
      }
    }
  }
  for (const c of cycles(new Map([...folderGraph].map(([k, v]) => [k, [...v]]))))
    out.push(`folder cycle: ${c.map((x) => `src/${x}`).join(' -> ')}`);
  for (const c of cycles(fileGraph)) out.push(`file cycle: ${c.join(' -> ')}`);
  return out;
}

/**
 * Every line longer than MAX_WIDTH characters (code points, as an editor counts them, not UTF-16
 * units or bytes) of the files widthExempt does not exempt, as `path:line (N chars)`.
 */
export function overlongLines(files: readonly SourceFile[]): string[] {
  return files
    .filter((f) => !widthExempt(f.path))
    .flatMap((f) =>
      f.text.split('\n').flatMap((line, i) => {
        const n = [...line].length;
        return n > MAX_WIDTH ? [`${f.path}:${i + 1} (${n} chars)`] : [];
      }),
    );
}
