/**
 * The folders show the architecture (docs/STYLE.md rule 1) and layers point one way: the rules of
 * test/support/architecture.ts hold for the whole tree, and the checker itself finds each kind of
 * planted violation (so an empty list means something). No line of a tracked source file is over
 * 120 characters (biome's lineWidth, which biome does not enforce on comments, strings, shell or Python).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  architectureViolations,
  overlongLines,
  type SourceFile,
  WIDTH_FILES,
  widthExempt,
} from './support/architecture.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * The TypeScript files of the working tree as git sees it, tracked or not, but never what .gitignore
 * leaves out: build output, node_modules, and .attnfuzz-cache, where a mutation run keeps
 * instrumented copies of kernels/ that are longer than the real files.
 */
function sources(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard', '--', '*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed.split('\0').filter((p) => p !== '' && !p.startsWith('corpus/') && existsSync(join(ROOT, p)));
}

const tree: SourceFile[] = sources().map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

/** The tracked source files of every kind the width rule reads (untracked build output is not the tree). */
const listed = execFileSync('git', ['ls-files', '-z', '--', ...WIDTH_FILES], { cwd: ROOT, encoding: 'utf8' });
const tracked: SourceFile[] = listed
  .split('\0')
  .filter((p) => p !== '' && !widthExempt(p) && existsSync(join(ROOT, p)))
  .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

describe('architecture', () => {
  it(
    'the tree has no violation: layers, index-only imports, one registry, kernels on the contract only, no ' +
      'cycles, no file over 300 lines, test/ and properties/ apart',
    () => {
      expect(tree.length).toBeGreaterThan(100);
      expect(architectureViolations(tree)).toEqual([]);
    },
  );

  it('the checker finds each kind of planted violation', () => {
    const planted: SourceFile[] = [
      { path: 'src/oracle/leak.ts', text: "import { eagerKernel } from '../../kernels/eager/index.js';\n" },
      { path: 'kernels/eager/up.ts', text: "import { search } from '../../src/runner/index.js';\n" },
      { path: 'src/case/bypass.ts', text: "import { roundTo } from '../contract/precision.js';\n" },
      { path: 'src/data/upward.ts', text: "import { checkCase } from '../runner/index.js';\n" },
      { path: 'src/report/a.ts', text: "import { b } from './b.js';\nexport const a = 1;\n" },
      { path: 'src/report/b.ts', text: "export { a } from './a.js';\n" },
      { path: 'src/golden/long.ts', text: 'x\n'.repeat(301) },
      { path: 'targets/ort/up.ts', text: "import { search } from '../../src/runner/index.js';\n" },
      { path: 'src/report/ort.ts', text: "import { ortKernel } from '../../targets/ort/index.js';\n" },
    ];
    const v = architectureViolations(planted);
    expect(v).toContain(
      'src/oracle/leak.ts: imports kernels/eager/index.ts: only src/runner/registry.ts may import kernels/',
    );
    expect(v).toContain(
      'kernels/eager/up.ts: imports src/runner/index.ts: kernels/ may import only src/contract/index.ts',
    );
    expect(v).toContain(
      'src/case/bypass.ts: imports src/contract/precision.ts: import src/contract through its index.ts',
    );
    expect(v).toContain(
      'src/data/upward.ts: imports src/runner/index.ts: src/data (layer 1) may not import the layer above it ' +
        '(src/runner, layer 3)',
    );
    expect(v).toContain('file cycle: src/report/a.ts -> src/report/b.ts -> src/report/a.ts');
    expect(v).toContain('src/golden/long.ts: 302 lines (over 300: split it)');
    expect(v).toContain(
      'targets/ort/up.ts: imports src/runner/index.ts: targets/ may import only src/contract/index.ts and ' +
        'src/execute/index.ts',
    );
    expect(v).toContain(
      'src/report/ort.ts: imports targets/ort/index.ts: only src/runner/targets.ts may import targets/',
    );
    expect(
      architectureViolations([
        ...planted,
        { path: 'src/runner/registry.ts', text: "import { eagerKernel } from '../../kernels/eager/index.js';\n" },
        { path: 'src/runner/targets.ts', text: "import { ortKernel } from '../../targets/ort/index.js';\n" },
        { path: 'targets/ort/kernel.ts', text: "import { tf } from '../../src/execute/index.js';\n" },
      ]).filter((x) => /^(src\/runner\/(registry|targets)\.ts|targets\/ort\/kernel\.ts)/.test(x)),
    ).toEqual([]);
  });

  it('test/ and properties/ do not import each other, and fixtures/ imports neither (planted)', () => {
    const v = architectureViolations([
      { path: 'test/x.test.ts', text: "import { SEED } from '../properties/support/profile.js';\n" },
      { path: 'properties/x.test.ts', text: "import k from '../test/fixtures/k.js';\n" },
      { path: 'fixtures/broken-kernels/k.ts', text: "import type { T } from '../../properties/support/t.js';\n" },
      { path: 'test/y.test.ts', text: "import { SEED } from '../fixtures/profile.js';\n" },
      { path: 'properties/y.test.ts', text: "import k from '../fixtures/broken-kernels/k.js';\n" },
    ]);
    const why = 'test/ and properties/ do not import each other, and fixtures/ imports neither';
    expect(v).toEqual([
      `test/x.test.ts: imports properties/support/profile.ts: ${why} (what both need goes in fixtures/)`,
      `properties/x.test.ts: imports test/fixtures/k.ts: ${why} (what both need goes in fixtures/)`,
      `fixtures/broken-kernels/k.ts: imports properties/support/t.ts: ${why} (what both need goes in fixtures/)`,
    ]);
  });

  it('no line of a tracked source file is longer than 120 characters', () => {
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.some((f) => f.path.endsWith('.py')) && tracked.some((f) => f.path.endsWith('.sh'))).toBe(true);
    expect(overlongLines(tracked)).toEqual([]);
  });

  it('the width rule finds each line over 120 characters (not UTF-16 units), generated files aside (planted)', () => {
    const long = 'x'.repeat(121);
    expect(
      overlongLines([
        { path: 'src/a.ts', text: `ok\n${long}\n${'x'.repeat(120)}\n` },
        { path: 'scripts/b.py', text: `${'𝑥'.repeat(120)}\n${'·'.repeat(125)}` },
        { path: 'corpus/golden/c.json', text: long },
        { path: 'docs/findings/ort/d/repro.mjs', text: long },
        { path: 'docs/findings/ort/d/inputs.json', text: long },
        { path: 'package-lock.json', text: long },
        { path: 'docs/findings/ort/d/notes.ts', text: long },
      ]),
    ).toEqual(['src/a.ts:2 (121 chars)', 'scripts/b.py:2 (125 chars)', 'docs/findings/ort/d/notes.ts:1 (121 chars)']);
  });

  it('a folder cycle is found even when each import goes through index.ts', () => {
    const v = architectureViolations([
      { path: 'src/case/x.ts', text: "import { y } from '../data/index.js';\n" },
      { path: 'src/data/y.ts', text: "import { x } from '../case/index.js';\n" },
    ]);
    expect(v).toContain('folder cycle: src/case -> src/data -> src/case');
  });
});
