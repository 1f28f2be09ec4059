/**
 * The flags several commands share, as commander options with their parsers and rules (choices,
 * conflicts), so every command checks them the same way and the help lists them the same way.
 */
import { InvalidArgumentError, Option } from 'commander';
import { ALL_BACKENDS, type AnyBackend, backendFromEnv } from '../backend/index.js';
import { DECODE_SIZE_PROFILES, FINITE_JUNK, JUNKS, type Junk, SIZE_PROFILES, type SizeProfile } from '../case/index.js';
import { PRECISIONS, type Precision } from '../contract/index.js';
import { ADAPTER_CHOICES, type AdapterChoice } from '../execute/index.js';
import type { PageOptions } from '../runner/index.js';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number of seconds, got '${v}'`);
  return n;
}

function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`must be a positive integer, got '${v}'`);
  return n;
}

function integer(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`must be an integer, got '${v}'`);
  return n;
}

/** `cpu,wasm` -> ['cpu', 'wasm']: known names (webgpu, webgl run in a page), at least two, no repeats. */
export function backendList(v: string): AnyBackend[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(ALL_BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown backend '${unknown[0]}'; expected some of ${ALL_BACKENDS.join(', ')}`);
  if (names.length < 2 || new Set(names).size !== names.length)
    throw new InvalidArgumentError(`needs at least two different backends (e.g. cpu,wasm), got '${v}'`);
  return names as AnyBackend[];
}

export const timeOption = () =>
  new Option('--time <seconds>', 'time budget of the search (default 60, unless --runs is given)').argParser(
    positiveNumber,
  );
/** `--device`: where a target runs (torch:*, py:, ort:*); `cuda:{i}` gives fuzz worker i the GPU i. */
export const deviceOption = () =>
  new Option('--device <device>', "where a target runs: cpu, cuda, cuda:N ('cuda:{i}': fuzz worker i on GPU i)");
/** `--python`: the Python of torch: and py: targets (default ATTNFUZZ_PYTHON, else python3). */
export const pythonOption = () =>
  new Option(
    '--python <path>',
    'the Python with torch for torch: and py: targets (default ATTNFUZZ_PYTHON, else python3)',
  );
export const runsOption = () => new Option('--runs <n>', 'case budget of the search').argParser(positiveInteger);
export const seedOption = () =>
  new Option('--seed <n>', 'fast-check seed (default: from the clock, printed)').argParser(integer);
/**
 * No commander default: ATTNFUZZ_BACKEND is read when the command runs (`backendOf`), so it never counts as a
 * conflicting --backend.
 */
export const backendOption = () =>
  new Option(
    '--backend <name>',
    'tfjs backend (default: ATTNFUZZ_BACKEND, else cpu); webgpu and webgl run the kernel in headless Chromium',
  ).choices(ALL_BACKENDS);

/** --backend, else ATTNFUZZ_BACKEND, else cpu; throws a one-line error for a bad ATTNFUZZ_BACKEND. */
export function backendOf(flag: AnyBackend | undefined): AnyBackend {
  return flag ?? backendFromEnv();
}

/** `--adapter`: the GPU a page backend asks Chromium for (src/execute/browser launch.ts). */
export const adapterOption = () =>
  new Option(
    '--adapter <which>',
    "webgpu/webgl: 'swiftshader' (Chromium's software GPU, the same on every machine; default) or 'default' " +
      '(the GPU Chromium picks)',
  ).choices(ADAPTER_CHOICES);
/** `--browser`: the Chromium of page backends (else ATTNFUZZ_CHROMIUM, else chromium on PATH). */
export const browserOption = () =>
  new Option('--browser <path>', 'webgpu/webgl: the Chromium to run (else ATTNFUZZ_CHROMIUM, else PATH)');
export const backendsOption = () =>
  new Option(
    '--backends <list>',
    'run every case on each listed backend (e.g. cpu,wasm), judge each and compare them with each other',
  )
    .argParser(backendList)
    .conflicts('backend');
export const jsonOption = () => new Option('--json', 'print one JSON value instead of text');

/** The time budget in ms: --time, else 60 s unless only --runs was given. */
export function timeBudgetMs(o: { time?: number; runs?: number }): number | undefined {
  return o.time !== undefined ? o.time * 1000 : o.runs === undefined ? 60_000 : undefined;
}

/** `--profile`: the size profile of attention and decode cases (src/case SIZE_PROFILES, DECODE_SIZE_PROFILES). */
export const profileOption = () =>
  new Option(
    '--profile <name>',
    "case sizes: 'default', 'deep' (attention: decode-shaped cases against caches up to 4096 keys; --suite " +
      "decode: caches up to 1024 keys a row, pages up to 64), 'nightly' (= deep)",
  )
    .choices(Object.keys(SIZE_PROFILES))
    .default('default');

/** `--precision`: pins the dtype of every generated case (any suite); absent: all of PRECISIONS are drawn. */
export const precisionOption = () =>
  new Option(
    '--precision <dtype>',
    'pin the precision of generated cases (inputs rounded to it, the oracle judging in it); default: all are drawn',
  ).choices(PRECISIONS);

/** A suite's constraints with `--precision` added (undefined in, no precision: undefined out, the suite's defaults). */
export function withPrecision(
  constraints: Record<string, unknown> | undefined,
  precision: Precision | undefined,
): Record<string, unknown> | undefined {
  return precision === undefined ? constraints : { ...constraints, precisions: [precision] };
}

/** `--junk`: what is written at keys no query may see. */
export const JUNK_LEVELS = { none: ['none'], finite: FINITE_JUNK, nan: JUNKS } as const satisfies Record<
  string,
  readonly Junk[]
>;
export type JunkLevel = keyof typeof JUNK_LEVELS;
export const junkOption = () =>
  new Option(
    '--junk <level>',
    "junk at keys no query may see: 'finite' (none or huge values; the default, for any kernel), 'nan' (also " +
      "NaN: for a kernel that never reads such keys; the default when it declares guarantees.unseenKeysUnread), 'none'",
  ).choices(Object.keys(JUNK_LEVELS));
export const forwardOnlyOption = () =>
  new Option(
    '--forward-only',
    'check the forward pass only (a kernel without a backward: an inference kernel, an op with no tfjs ' +
      'gradient); as declaring backward: false',
  );

/** The attention constraints of --profile and --junk (undefined fields: the suite's and the kernel's defaults). */
export function attentionConstraintsOf(o: { profile?: SizeProfile; junk?: JunkLevel }): Record<string, unknown> {
  return { ...SIZE_PROFILES[o.profile ?? 'default'], ...(o.junk !== undefined ? { junk: JUNK_LEVELS[o.junk] } : {}) };
}

/** The constraints a suite's cases get from --profile (and --junk, attention only); undefined: the suite's defaults. */
export function suiteConstraintsOf(
  suite: string,
  o: { profile?: SizeProfile; junk?: JunkLevel },
): Record<string, unknown> | undefined {
  if (suite === 'attention') return attentionConstraintsOf(o);
  if (suite === 'decode') return { ...DECODE_SIZE_PROFILES[o.profile ?? 'default'] };
  return undefined;
}

/** The flags of page backends. */
export interface PageFlags {
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
}

/** The page options of --adapter and --browser (src/runner pages.ts). */
export function pageOptionsOf(o: PageFlags): PageOptions {
  return { ...(o.adapter ? { adapter: o.adapter } : {}), ...(o.browser ? { browser: o.browser } : {}) };
}
