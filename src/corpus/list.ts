/**
 * `corpus list` and `corpus show`: a folder's saved cases as rows (signature, kernel, when first
 * seen, hits, size, mark) and one case in full. Hits come from the folder's hits/ files (hits.ts);
 * "first seen" is the earliest of the file's found.at and its signature's first hit.
 */
import { existsSync } from 'node:fs';
import { suiteOf } from '../runner/index.js';
import { readHits } from './hits.js';
import type { SavedCase } from './savedCase.js';
import { kernelLabelOf, signatureOfSaved } from './savedSignature.js';
import { type CorpusEntry, formatTemp, scanCorpus } from './scan.js';
import { type Signature, signatureHash, signatureText } from './signature.js';

export interface CorpusRow {
  readonly file: string;
  readonly signature: Signature;
  readonly hash: string;
  readonly kernel: string;
  readonly firstSeen: string | null;
  readonly hits: number;
  /** The suite's size of the case: smaller is simpler (what merge and minimize keep). */
  readonly size: number;
  /** A known failure's expectation (`mismatch in dq`), or null for a regression test. */
  readonly mark: string | null;
  readonly saved: SavedCase;
}

export function rowOf(e: CorpusEntry, hits: ReturnType<typeof readHits>['byHash']): CorpusRow {
  const signature = signatureOfSaved(e.saved);
  const hash = signatureHash(signature);
  const h = hits.get(hash);
  const times = [e.saved.found?.at, h?.first].filter((t): t is string => t !== undefined).sort();
  const x = e.saved.expect;
  return {
    file: e.file,
    signature,
    hash,
    kernel: kernelLabelOf(e.saved),
    firstSeen: times[0] ?? null,
    hits: h?.hits ?? 0,
    size: suiteOf(e.saved.case).size(e.saved.case),
    mark: x.kind === 'pass' ? null : [x.kind, x.tensor ? `in ${x.tensor}` : ''].filter(Boolean).join(' '),
    saved: e.saved,
  };
}

export interface CorpusListing {
  readonly rows: CorpusRow[];
  /** Files that do not load (saved cases, hits files): named, skipped, never deleted. */
  readonly problems: string[];
  /** Temp files an interrupted write left: recovered, or reported as incomplete. */
  readonly notes: string[];
}

export function listCorpus(dir: string): CorpusListing {
  const scan = scanCorpus(dir);
  const hits = readHits(dir);
  return {
    rows: scan.entries.map((e) => rowOf(e, hits.byHash)),
    problems: [...scan.problems, ...hits.problems],
    notes: scan.temps.filter((t) => t.action !== 'in-progress').map(formatTemp),
  };
}

/** The signature without its kernel (a column of its own in the table). */
export const whatFailed = (s: Signature): string => signatureText(s).slice(s.kernel.length + 1);

/** A table with a header and aligned columns. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function formatListing(l: CorpusListing): string[] {
  const head = ['signature', 'kernel', 'first seen', 'hits', 'size', 'mark', 'file'];
  const body = l.rows.map((r) => [
    whatFailed(r.signature),
    r.kernel,
    r.firstSeen?.slice(0, 19).replace('T', ' ') ?? '-',
    String(r.hits),
    String(r.size),
    r.mark ?? '-',
    r.file,
  ]);
  const n = new Set(l.rows.map((r) => r.hash)).size;
  return [
    ...formatTable([head, ...body]),
    `${l.rows.length} saved case${l.rows.length === 1 ? '' : 's'}, ${n} signature${n === 1 ? '' : 's'}`,
  ];
}

/** `corpus show`: everything the file says, and the lines to replay and export it. */
export function formatShow(row: CorpusRow): string[] {
  const s = row.saved;
  const svg = row.file.replace(/\.json$/, '.svg');
  const lines = [
    `file:       ${row.file}`,
    `signature:  ${signatureText(row.signature)}${s.signature ? '' : ' (read from the file; it carries none)'}`,
    `kind:       ${s.kind}; kernel ${row.kernel}${s.backends ? `; backends ${s.backends.join(', ')}` : ''}`,
    `expect:     ${row.mark ?? 'pass (a regression test)'}` +
      `${s.reason ? `; ${s.reason}` : ''}${s.link ? ` (${s.link})` : ''}`,
  ];
  const f = s.found;
  if (f) {
    lines.push(`found:      ${f.verdict ?? '?'}`);
    const where = [
      f.at ? `at ${f.at}` : '',
      f.seed != null ? `seed ${f.seed}` : '',
      f.path ? `path ${f.path}` : '',
      f.backend ? `on ${f.backend}` : '',
      f.attnfuzz ? `attnfuzz ${f.attnfuzz}` : '',
      f.tfjs ? `tfjs ${f.tfjs}` : '',
    ];
    lines.push(`            ${where.filter(Boolean).join(', ')}`);
  }
  lines.push(`hits:       ${row.hits}; size ${row.size}`, 'case:', JSON.stringify(s.case, null, 2));
  if (existsSync(svg)) lines.push(`heatmap:    ${svg}`);
  lines.push(`replay:     npx attnfuzz replay ${row.file}`);
  if (s.kind === 'attention') lines.push(`export:     npx attnfuzz export --torch ${row.file}`);
  return lines;
}
