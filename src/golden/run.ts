/**
 * `attnfuzz golden` as a function: select the implementations (built-in names or kernel modules)
 * and the backend, load every file (all of them before running anything, so bad input is
 * reported as such and not as a kernel failure; a bad file is named and the good ones still run),
 * check, report. Exit codes: 0 every tensor passed, 1 something failed or threw, 2 bad input (a
 * file, a flag, a backend, a module), with one line on stderr per problem naming the file or flag.
 */
import {
  BackendUnavailableError,
  backendFromEnv,
  isPageBackend,
  type PageBackendName,
  parseBackend,
  useBackend,
} from '../backend/index.js';
import type { LoraKernel } from '../contract/index.js';
import { BrowserUnavailableError, PageFailure } from '../execute/index.js';
import {
  BUILTIN_KERNELS,
  builtinKernel,
  fixedKernel,
  isBuiltinKernel,
  KernelLoadError,
  type KernelUnderTest,
  loadKernelModule,
  type PageOptions,
  pageTwin,
} from '../runner/index.js';
import { allPassed, checkGoldens } from './check.js';
import { type Golden, GoldenError } from './goldenFile.js';
import { GOLDEN_KERNEL_NAMES, type GoldenRunner, goldenRunners, runnersOf } from './kernels.js';
import { findGoldenFiles, loadGolden } from './load.js';
import { goldenJson, goldenText } from './report.js';

export interface GoldenCommandOptions {
  /** Comma-separated built-in names or kernel module paths (`--kernels`); default every built-in and the reference. */
  readonly kernels?: string;
  /** `--backend`; default ATTNFUZZ_BACKEND, else cpu (webgpu, webgl: the kernels run in a page). */
  readonly backend?: string;
  /** Page backends: `--adapter`, `--browser`. */
  readonly pages?: PageOptions;
  readonly json?: boolean;
}

export interface GoldenIO {
  out(text: string): void;
  err(text: string): void;
}

/** A flag that cannot be honoured; the message is one line starting with `golden: --flag:`. */
export class GoldenUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoldenUsageError';
  }
}

/**
 * The runners `--kernels` names: 'reference' (both kinds), built-in names, or module paths (an
 * attention kernel, or a LoRA kernel made with defineLoraKernel). Default: the reference and every built-in.
 */
export async function selectRunners(
  kernels: string | undefined,
  cwd = process.cwd(),
  page?: PageRun,
): Promise<GoldenRunner[]> {
  if (page) return pageRunners(kernels, cwd, page);
  if (kernels === undefined) return goldenRunners();
  const names = kernels
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw new GoldenUsageError(
      `golden: --kernels: empty list; expected some of ${GOLDEN_KERNEL_NAMES.join(', ')} or kernel module paths`,
    );
  const out: GoldenRunner[] = [];
  for (const n of names) {
    if (n === 'reference') out.push(...goldenRunners().filter((r) => r.name === 'reference'));
    else if (isBuiltinKernel(n)) out.push(...runnersOf(builtinKernel(n)));
    else if (!/[./\\]/.test(n))
      throw new GoldenUsageError(
        `golden: --kernels: unknown kernel '${n}'; expected some of ${GOLDEN_KERNEL_NAMES.join(', ')} or a module path`,
      );
    else {
      try {
        // Any kind: an attention kernel (with a decode field, or not), a LoRA kernel, a decode kernel.
        const k = await loadKernelModule(n, cwd, 'golden: --kernels', 'any');
        out.push(
          ...runnersOf(fixedKernel(k, (k as LoraKernel).kind === 'lora' ? 'lora' : 'attention', { module: n }, n)),
        );
      } catch (e) {
        throw e instanceof KernelLoadError ? new GoldenUsageError(e.message) : e;
      }
    }
  }
  return out;
}

/** A golden run on a page backend: the kernels' page twins, opened once and closed at the end. */
export interface PageRun {
  readonly backend: PageBackendName;
  readonly options: PageOptions;
  readonly opened: KernelUnderTest[];
}

/**
 * The runners of `--kernels` on a page backend: the float64 references as they are, every other
 * kernel (a built-in, a module) in a page of its own (attention and decode; LoRA does not run in a page).
 */
async function pageRunners(kernels: string | undefined, cwd: string, page: PageRun): Promise<GoldenRunner[]> {
  const names = kernels?.split(',').map((s) => s.trim()) ?? ['reference', ...BUILTIN_KERNELS];
  const out: GoldenRunner[] = [];
  for (const n of names.filter((x) => x !== '')) {
    if (n === 'reference') {
      out.push(...goldenRunners().filter((r) => r.name === 'reference'));
      continue;
    }
    const local = isBuiltinKernel(n)
      ? builtinKernel(n)
      : fixedKernel(await loadKernelModule(n, cwd, 'golden: --kernels', 'any'), 'attention', { module: n }, n);
    if (!local.attention && !local.decode) continue;
    const twin = await pageTwin(local, page.backend, { ...page.options, cwd });
    page.opened.push(twin);
    out.push(...runnersOf(twin));
  }
  return out;
}

async function closePages(page: PageRun | undefined): Promise<void> {
  await Promise.all((page?.opened ?? []).map((k) => k.close?.()));
}

/** Loads every golden file under `paths`: the good ones, and one GoldenError per bad file. */
export function loadGoldens(paths: readonly string[]): { goldens: Golden[]; errors: GoldenError[] } {
  const files = findGoldenFiles(paths);
  if (files.length === 0) throw new GoldenError(paths.join(', '), null, 'no *.json files found');
  const goldens: Golden[] = [];
  const errors: GoldenError[] = [];
  for (const f of files) {
    try {
      goldens.push(loadGolden(f));
    } catch (e) {
      if (!(e instanceof GoldenError)) throw e;
      errors.push(e);
    }
  }
  return { goldens, errors };
}

export async function runGoldenCommand(
  paths: readonly string[],
  opts: GoldenCommandOptions,
  io: GoldenIO,
): Promise<number> {
  let loaded: ReturnType<typeof loadGoldens>;
  let runners: GoldenRunner[];
  let pageRun: PageRun | undefined;
  try {
    const page = opts.backend !== undefined && isPageBackend(opts.backend);
    if (page) pageRun = { backend: opts.backend as PageBackendName, options: opts.pages ?? {}, opened: [] };
    else
      await useBackend(opts.backend !== undefined ? parseBackend(opts.backend, 'golden: --backend') : backendFromEnv());
    runners = await selectRunners(opts.kernels, process.cwd(), pageRun);
    loaded = loadGoldens(paths);
  } catch (e) {
    await closePages(pageRun);
    if (
      e instanceof GoldenError ||
      e instanceof GoldenUsageError ||
      e instanceof BackendUnavailableError ||
      e instanceof BrowserUnavailableError ||
      e instanceof PageFailure
    ) {
      const line = e.message.split('\n')[0]!;
      io.err(`${line.startsWith('golden:') ? line : `golden: --backend: ${line}`}\n`);
      return 2;
    }
    throw e;
  }
  for (const e of loaded.errors) io.err(`${e.message.split('\n')[0]}\n`);
  for (const k of pageRun?.opened ?? []) io.err(`golden: ${k.label} on ${k.device}\n`);
  let outcomes: Awaited<ReturnType<typeof checkGoldens>>;
  try {
    outcomes = await checkGoldens(loaded.goldens, runners);
  } finally {
    await closePages(pageRun);
  }
  if (loaded.goldens.length > 0 || opts.json)
    io.out(opts.json ? `${JSON.stringify(goldenJson(outcomes), null, 2)}\n` : goldenText(loaded.goldens, outcomes));
  if (loaded.errors.length > 0) {
    if (loaded.goldens.length > 0)
      io.err(
        `golden: ${loaded.errors.length} of ${loaded.errors.length + loaded.goldens.length} files could not ` +
          `be read (named above); the others ran\n`,
      );
    return 2;
  }
  return allPassed(outcomes) ? 0 : 1;
}
