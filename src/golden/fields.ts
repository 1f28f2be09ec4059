/**
 * What every golden loader (attention, LoRA, decode) checks the same way, each failure one
 * `GoldenError` line naming the field: the schema's first issue as `path: message`, every tensor's
 * data against its shape, one shape against another, and the contract's own checks with their field
 * moved to where it sits in the file.
 */
import type { z } from 'zod';
import { ContractError, formatShape, type HostTensor, numel, sameShape } from '../contract/index.js';

/** Throws the GoldenError of one field (null: the whole file) of the file being loaded. */
export type Fail = (field: string | null, detail: string) => never;

/** A tensor as the schema reads it. */
export type FileTensor = { readonly shape: readonly number[]; readonly data: readonly number[] };

/** The value, or the first schema issue as `path: message`, e.g. `options.causal: expected one of ...`. */
export function parse<S extends z.ZodType>(schema: S, raw: unknown, fail: Fail, version = 1): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Strict objects: a misspelt or newer option must not be dropped silently.
    const field = formatPath([...issue.path, issue.keys[0]!]);
    return fail(field, `${field}: unknown field (not in version ${version})`);
  }
  const path = formatPath(issue.path);
  const message = issue.message
    .replace(/^Invalid (input|option): /, '')
    .replace(/^expected (.+), received undefined$/, 'missing (expected $1)')
    .replace(/^Too (big|small): /, (m) => m.toLowerCase());
  return fail(path, path === '' ? message : `${path}: ${message}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** Every tensor's data must fill its shape. */
export function checkLengths(group: string, tensors: Record<string, FileTensor | null>, fail: Fail): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t === null) continue;
    const need = numel(t.shape);
    if (t.data.length !== need) {
      fail(
        `${group}.${name}.data`,
        `${group}.${name}.data has ${t.data.length} values, shape ${formatShape(t.shape)} needs ${need}`,
      );
    }
  }
}

export function sameAs(field: string, got: readonly number[], what: string, want: readonly number[], fail: Fail): void {
  if (!sameShape(got, want)) fail(field, `${field} ${formatShape(got)} does not match ${what} ${formatShape(want)}`);
}

/**
 * Runs a contract check called with an empty `where` and turns its ContractError into the file's
 * error, the field renamed to where it sits in the file (`k.shape` -> `inputs.k.shape`).
 */
export function contractCheck<T>(check: () => T, field: (contractField: string) => string, fail: Fail): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    // With where = '', ContractError's where is `: <field>`.
    const f = field(err.where.replace(/^: /, ''));
    return fail(f, `${f}: ${err.message.slice(err.where.length + 2)}`);
  }
}

/** What every loaded golden carries from its header: the path it was loaded from, name, hint (if any), producer. */
export function headerOf(
  file: string,
  g: { readonly name: string; readonly hint?: string | undefined; readonly producer: string },
) {
  return { file, name: g.name, ...(g.hint !== undefined ? { hint: g.hint } : {}), producer: g.producer };
}

export const host = (t: FileTensor): HostTensor => ({ shape: [...t.shape], data: Float64Array.from(t.data) });

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
