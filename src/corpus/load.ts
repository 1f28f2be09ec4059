/**
 * Reading saved cases: the one loader. JSON first (corrupt JSON is named as such), then the one
 * schema (savedCase.ts). Every failure is one CorpusFileError line naming the file and the field;
 * a bad file is reported, never deleted.
 *
 * Version 1 (`attnfuzz-failure`, `attnfuzz-upstream`) is no longer read: it was converted on read
 * until every saved file was version 2, and the package never shipped a release that wrote it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatSchemaError } from '../case/index.js';
import { CASE_FILE_VERSION, CASE_FORMAT, CorpusFileError, type SavedCase, savedCaseSchema } from './savedCase.js';

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

/** The formats of version 1, named in the error that says they are no longer read. */
const VERSION_1_FORMATS: readonly unknown[] = ['attnfuzz-failure', 'attnfuzz-upstream'];

/** Validates a parsed saved case; `file` names it in errors. */
export function parseSavedCase(value: unknown, file: string): SavedCase {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorpusFileError(`${file}: expected a JSON object, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  const format = (value as { format?: unknown }).format;
  if (VERSION_1_FORMATS.includes(format))
    throw new CorpusFileError(
      `${file}: ${format} version 1 is no longer read (this attnfuzz reads ${CASE_FORMAT} version ` +
        `${CASE_FILE_VERSION}): run the check that found it again to save it in the current format`,
    );
  const r = savedCaseSchema.safeParse(value);
  if (!r.success) throw new CorpusFileError(formatSchemaError(`${file}:`, r.error));
  return r.data as SavedCase;
}

/** Reads and validates one saved case. */
export function readSavedCase(file: string): SavedCase {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CorpusFileError(`${file}: cannot read: ${firstLine(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CorpusFileError(`${file}: corrupt JSON: ${firstLine(e)}`);
  }
  return parseSavedCase(value, file);
}

/** The .json files of a folder (sorted, not recursive), or the file itself. Throws CorpusFileError. */
export function corpusFiles(fileOrFolder: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(fileOrFolder).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CorpusFileError(`${fileOrFolder}: ${code === 'ENOENT' ? 'no such file or folder' : firstLine(e)}`);
  }
  if (!isDir) return [fileOrFolder];
  return readdirSync(fileOrFolder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(fileOrFolder, f));
}

/** Saved-case formats, version 1's included (replaying one says it is no longer read, naming it). */
const SAVED_FORMATS = /"format"\s*:\s*"attnfuzz-(case|failure|upstream)"/;

/** The sub-folders of `folder` that hold saved cases (replay does not descend: corpus/golden holds golden files). */
export function foldersWithCases(folder: string): string[] {
  const holdsCases = (dir: string) =>
    readdirSync(dir).some((f) => {
      if (!f.endsWith('.json')) return false;
      try {
        return SAVED_FORMATS.test(readFileSync(join(dir, f), 'utf8').slice(0, 200));
      } catch {
        return false;
      }
    });
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory() && holdsCases(join(folder, e.name)))
      .map((e) => join(folder, e.name))
      .sort();
  } catch {
    return [];
  }
}
