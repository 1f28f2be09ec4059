/**
 * The documentation's references resolve: every relative link in README.md, docs/, bench/ and
 * examples/ markdown names a file of the tree (and a heading of it, for `#anchor`), and every
 * repository path a page names in its text (`src/...`, `test/...`, `docs/...` with a file
 * extension) exists. A page that cites a renamed file, or a test that never existed, fails here.
 *
 * PENDING lists pages other work this round is writing, linked ahead of time; each must be
 * removed from the list once it exists (the test says so), so the list cannot go stale.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Linked before they exist: written this round by other branches (remove each when it lands). */
const PENDING = new Set<string>([]);

/** Folders whose files a page may name by repository path. */
const TOP = [
  'src',
  'test',
  'properties',
  'kernels',
  'bench',
  'examples',
  'docs',
  'scripts',
  'bin',
  'corpus',
  'targets',
];
const PATH = new RegExp(
  String.raw`(?<![\w./@-])((?:${TOP.join('|')})/[\w./-]*\.(?:ts|mjs|cjs|js|md|py|sh|json|jsonc|yml|yaml|svg))(?![\w/])`,
  'g',
);
const LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith('.md') ? [p] : [];
  });
}

const PAGES = [join(ROOT, 'README.md'), ...['docs', 'bench', 'examples'].flatMap((d) => markdownFiles(join(ROOT, d)))]
  .map((p) => relative(ROOT, p))
  .sort();

/** A page without its fenced code blocks (links there are not links) and with its text kept line for line. */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ''));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(file: string): Set<string> {
  const headings = prose(readFileSync(join(ROOT, file), 'utf8')).match(/^#{1,6} .*$/gm) ?? [];
  return new Set(headings.map((h) => slug(h.replace(/^#+ /, ''))));
}

/** What is wrong with a reference to `target` (a repository path) and its anchor, or null. */
function problem(target: string, anchor: string | undefined): string | null {
  if (PENDING.has(target)) return null;
  if (!existsSync(join(ROOT, target))) return `${target} does not exist`;
  if (anchor === undefined || anchor === '') return null;
  if (!target.endsWith('.md')) return null;
  return anchorsOf(target).has(anchor) ? null : `${target} has no heading #${anchor}`;
}

function brokenLinks(page: string): string[] {
  const text = prose(readFileSync(join(ROOT, page), 'utf8'));
  const out: string[] = [];
  for (const m of text.matchAll(LINK)) {
    const href = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:
    const [path, anchor] = href.split('#') as [string, string | undefined];
    const target = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    const p = problem(target, anchor);
    if (p !== null) out.push(`${page}: (${href}): ${p}`);
  }
  return out;
}

function missingPaths(page: string): string[] {
  // Pages about other projects name their files, not ours.
  if (page.startsWith('docs/findings/')) return [];
  const text = readFileSync(join(ROOT, page), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(PATH)) {
    const path = m[1]!;
    if (path.includes('...')) continue; // an example name, corpus/fuzz/3f2a...json
    if (PENDING.has(path) || existsSync(join(ROOT, path)) || existsSync(join(ROOT, dirname(page), path))) continue;
    out.push(`${page}: ${path} does not exist`);
  }
  return out;
}

describe('the documentation', () => {
  it('has pages to check', () => {
    expect(PAGES).toContain('README.md');
    expect(PAGES).toContain('docs/ARCHITECTURE.md');
  });

  it.each(PAGES)('%s: every relative link resolves, anchors included', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it.each(PAGES)('%s: every repository path it names exists', (page) => {
    expect(missingPaths(page)).toEqual([]);
  });

  it('links ahead of time only to pages not written yet (remove a page from PENDING once it exists)', () => {
    expect([...PENDING].filter((p) => existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('the checker finds a broken link, a missing anchor and a missing path', () => {
    expect(problem('docs/nope.md', undefined)).toBe('docs/nope.md does not exist');
    expect(problem('docs/ARCHITECTURE.md', 'no-such-heading')).toMatch(/has no heading/);
    expect(problem('docs/ARCHITECTURE.md', 'layers')).toBe(null);
    expect([...'see `src/corpus/format.ts` and src/runner/check.ts'.matchAll(PATH)].map((m) => m[1])).toEqual([
      'src/corpus/format.ts',
      'src/runner/check.ts',
    ]);
    expect(slug('The attention contract, in brief')).toBe('the-attention-contract-in-brief');
  });
});
