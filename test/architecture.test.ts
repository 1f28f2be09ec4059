/**
 * The folders show the architecture (STYLE.md rule 1), and this keeps it so: src folders depend
 * on each other without cycles, everything outside a src folder imports it only through its
 * index.ts, and no source file grows past 300 lines without anyone noticing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', '.git', 'corpus']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (SKIP.has(name)) return [];
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

const files = sources(ROOT).map((p) => ({ path: relative(ROOT, p), text: readFileSync(p, 'utf8') }));
const imports = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
const srcFolder = (path: string) => /^src\/([a-z]+)\//.exec(path)?.[1] ?? null;

describe('architecture', () => {
  it('src folders depend on each other without cycles', () => {
    const deps = new Map<string, Set<string>>();
    for (const f of files) {
      const from = srcFolder(f.path);
      if (!from || f.path.endsWith('.test.ts')) continue;
      for (const spec of imports(f.text)) {
        const to = /^\.\.\/([a-z]+)\//.exec(spec)?.[1];
        if (to && to !== from) deps.set(from, (deps.get(from) ?? new Set()).add(to));
      }
    }
    const cycles: string[] = [];
    const walk = (n: string, path: string[]) => {
      for (const m of deps.get(n) ?? []) {
        if (path.includes(m)) cycles.push([...path.slice(path.indexOf(m)), m].join(' -> '));
        else walk(m, [...path, m]);
      }
    };
    for (const n of deps.keys()) walk(n, [n]);
    expect(cycles).toEqual([]);
  });

  it('code outside a src folder imports it only through its index.ts', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const spec of imports(f.text)) {
        const m = /(?:^|\/)src\/([a-z]+)\/([A-Za-z]+)\.js$/.exec(spec) ?? (srcFolder(f.path) ? /^\.\.\/([a-z]+)\/([A-Za-z]+)\.js$/.exec(spec) : null);
        if (m && m[2] !== 'index' && m[1] !== 'cli' && srcFolder(f.path) !== m[1]) offenders.push(`${f.path}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no source file is over 300 lines (STYLE.md: over 300 needs a reason; give it by splitting)', () => {
    const long = files.filter((f) => f.text.split('\n').length > 300).map((f) => `${f.path}: ${f.text.split('\n').length} lines`);
    expect(long).toEqual([]);
  });
});
