/**
 * `attnfuzz corpus list [DIR] [--replay] [--json]`   a table: signature, kernel, first seen, hits,
 *                                                    size, mark; --replay re-runs each file and
 *                                                    says which known failures now pass
 * `attnfuzz corpus show FILE`                        one saved case in full, with its replay and
 *                                                    export commands
 * `attnfuzz corpus merge DIR... --into DIR`          one file per signature, the smallest case
 * `attnfuzz corpus minimize DIR`                     drop files whose signature a smaller one has
 *
 * Exit 0: done (list --replay: every file as expected); 1: list --replay found a file not as
 * expected (a regression fails, a known failure now passes or fails differently); 2: a folder or
 * file that cannot be read, or a flag error. Files that do not load are named and never deleted.
 */
import { statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { type AnyBackend, isPageBackend, useBackend } from '../../backend/index.js';
import {
  type CorpusRow,
  formatListing,
  formatReplay,
  formatShow,
  listCorpus,
  mergeCorpora,
  minimizeCorpus,
  readHits,
  readSavedCase,
  replayFile,
  rowOf,
  signatureText,
} from '../../corpus/index.js';
import type { Io } from '../io.js';
import { backendOf, backendOption, jsonOption } from '../options.js';
import { FUZZ_CORPUS } from './fuzz.js';

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

function isFolder(dir: string, where: string, io: Io): boolean {
  try {
    if (statSync(dir).isDirectory()) return true;
    io.err(`corpus ${where}: ${dir}: not a folder\n`);
  } catch {
    io.err(`corpus ${where}: ${dir}: no such folder\n`);
  }
  return false;
}

export async function runList(
  dir: string,
  flags: { replay?: boolean; json?: boolean; backend?: AnyBackend },
  io: Io,
): Promise<number> {
  if (!isFolder(dir, 'list', io)) return 2;
  const listing = listCorpus(dir);
  for (const p of [...listing.notes, ...listing.problems]) io.err(`corpus list: ${p}\n`);
  let statuses: Map<string, string> | null = null;
  if (flags.replay) {
    let backend: AnyBackend;
    try {
      backend = backendOf(flags.backend);
      if (!isPageBackend(backend)) await useBackend(backend);
    } catch (e) {
      io.err(`corpus list: --backend: ${firstLine(e)}\n`);
      return 2;
    }
    statuses = new Map();
    for (const r of listing.rows) {
      const o = await replayFile(r.file, process.cwd(), isPageBackend(backend) ? { pageBackend: backend } : {});
      statuses.set(r.file, o.status);
      if (o.status !== 'ok') io.err(`${formatReplay(o)}\n`);
    }
  }
  const row = (r: CorpusRow) => ({
    file: r.file,
    signature: signatureText(r.signature),
    hash: r.hash,
    kernel: r.kernel,
    firstSeen: r.firstSeen,
    hits: r.hits,
    size: r.size,
    mark: r.mark,
    ...(statuses ? { replay: statuses.get(r.file) } : {}),
  });
  if (flags.json) io.out(JSON.stringify(listing.rows.map(row)) + '\n');
  else io.out(formatListing(listing).join('\n') + '\n');
  if (listing.problems.length > 0) return 2;
  return statuses && [...statuses.values()].some((s) => s !== 'ok') ? 1 : 0;
}

export function runShow(file: string, io: Io): number {
  try {
    const saved = readSavedCase(file);
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
    io.out(formatShow(rowOf({ file, saved }, readHits(dir).byHash)).join('\n') + '\n');
    return 0;
  } catch (e) {
    io.err(`corpus show: ${firstLine(e)}\n`);
    return 2;
  }
}

function reportChanges(verb: string, o: ReturnType<typeof minimizeCorpus>, io: Io): number {
  for (const p of [...o.notes, ...o.problems]) io.err(`corpus ${verb}: ${p}\n`);
  for (const f of o.written) io.out(`written: ${f}\n`);
  for (const f of o.removed) io.out(`removed (a smaller case has its signature): ${f}\n`);
  for (const m of o.marksMoved) io.out(`known failure kept marked: ${m}\n`);
  io.out(
    `corpus ${verb}: ${o.written.length} written, ${o.removed.length} removed, ${o.marksMoved.length} marks moved\n`,
  );
  return o.problems.length > 0 ? 2 : 0;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  const corpus = program
    .command('corpus')
    .description('saved cases: list, show, merge folders, minimize (one file per failure signature)');
  corpus
    .command('list')
    .description('a table of the saved cases: signature, kernel, first seen, hits, size, mark')
    .argument('[dir]', 'a corpus folder', FUZZ_CORPUS)
    .option('--replay', 're-run every file: which fail, which known failures now pass')
    .addOption(backendOption())
    .addOption(jsonOption())
    .action(async (dir: string, opts: { replay?: boolean; json?: boolean; backend?: AnyBackend }) =>
      setCode(await runList(dir, opts, io)),
    );
  corpus
    .command('show')
    .description('one saved case in full: signature, verdict when found, the case, how to replay and export it')
    .argument('<file>', 'a saved case (.json)')
    .action((file: string) => setCode(runShow(file, io)));
  corpus
    .command('merge')
    .description(
      'merge corpus folders into one: one file per signature, the smallest case, known failures kept marked, ' +
        'hit counts added up',
    )
    .argument('<dirs...>', 'corpus folders to merge (shards, machines)')
    .addOption(new Option('--into <dir>', 'the folder to merge into (created if missing)').makeOptionMandatory())
    .action((dirs: string[], opts: { into: string }) => {
      if (!dirs.every((d) => isFolder(d, 'merge', io))) return setCode(2);
      try {
        setCode(reportChanges('merge', mergeCorpora(dirs, opts.into), io));
      } catch (e) {
        io.err(`corpus merge: --into ${opts.into}: ${firstLine(e)}\n`);
        setCode(2);
      }
    });
  corpus
    .command('minimize')
    .description('remove the files whose signature another file already has with a smaller case')
    .argument('<dir>', 'a corpus folder')
    .action((dir: string) =>
      setCode(isFolder(dir, 'minimize', io) ? reportChanges('minimize', minimizeCorpus(dir), io) : 2),
    );
}
