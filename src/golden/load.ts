/**
 * Reading golden files: JSON, then the header (format, version, kind) so that a file from another
 * version says so rather than failing on some field, then the schema, then consistency (data
 * lengths, shapes against each other and the options). Every failure is one `GoldenError` line
 * naming the file and the field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { attentionShapes, formatShape } from '../contract/index.js';
import { checkLengths, contractCheck, type Fail, firstLine, headerOf, host, parse, sameAs } from './fields.js';
import {
  type AttentionGoldenFile,
  attentionGolden2Schema,
  attentionGoldenSchema,
  decodeGoldenSchema,
  GOLDEN_FORMAT,
  GOLDEN_KINDS,
  GOLDEN_VERSIONS,
  type Golden,
  GoldenError,
  type LoraGoldenFile,
  loraGoldenSchema,
} from './goldenFile.js';
import { decodeGolden } from './loadDecode.js';

/** Reads and checks one golden file. */
export function loadGolden(file: string): Golden {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GoldenError(file, null, `cannot read (${firstLine(e)})`);
  }
  return parseGolden(file, text);
}

/** Checks the text of a golden file; `file` only names it in errors. */
export function parseGolden(file: string, text: string): Golden {
  const fail = (field: string | null, detail: string): never => {
    throw new GoldenError(file, field, detail);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(null, `not JSON (${firstLine(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(
      null,
      `not a golden file: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`,
    );
  }
  const head = raw as Record<string, unknown>;
  if (head.format !== GOLDEN_FORMAT) {
    fail('format', `format ${JSON.stringify(head.format) ?? 'missing'} is not "${GOLDEN_FORMAT}"`);
  }
  if (!(GOLDEN_VERSIONS as readonly unknown[]).includes(head.version)) {
    fail(
      'version',
      `unsupported version ${JSON.stringify(head.version) ?? '(missing)'} (this attnfuzz reads versions ` +
        `${GOLDEN_VERSIONS.join(' and ')})`,
    );
  }
  if (head.kind === 'attention' && head.version === 2)
    return attentionGolden(file, parse(attentionGolden2Schema, raw, fail, 2), fail);
  if (head.kind === 'decode') {
    if (head.version !== 2)
      fail('version', `version ${JSON.stringify(head.version)} is not for kind "decode" (decode files are version 2)`);
    return decodeGolden(file, parse(decodeGoldenSchema, raw, fail, 2), fail);
  }
  if (head.version === 2 && head.kind === 'lora-linear')
    fail('version', 'version 2 is for attention and decode files; kind "lora-linear" is version 1');
  if (head.kind === 'attention') return attentionGolden(file, parse(attentionGoldenSchema, raw, fail), fail);
  if (head.kind === 'lora-linear') return loraGolden(file, parse(loraGoldenSchema, raw, fail), fail);
  return fail('kind', `kind ${JSON.stringify(head.kind) ?? '(missing)'} is not one of ${GOLDEN_KINDS.join(', ')}`);
}

function attentionGolden(file: string, g: AttentionGoldenFile, fail: Fail): Golden {
  const { options: o, inputs: i, expected: e } = g;
  // Version 2's score options, null in a version-1 file.
  const v2 = g.version === 2 ? { o: g.options, e: g.expected } : null;
  const scores = {
    softcap: v2?.o.softcap ?? null,
    alibiSlopes: v2?.o.alibiSlopes ?? null,
    bias: v2?.o.bias ?? null,
    sinks: v2?.o.sinks ?? null,
  };
  const extra = { lse: v2?.e.lse ?? null, dbias: v2?.e.dbias ?? null, dsinks: v2?.e.dsinks ?? null };
  checkLengths('inputs', i, fail);
  checkLengths('expected', { ...e, ...extra }, fail);
  checkLengths(
    'options',
    { mask: o.mask, alibiSlopes: scores.alibiSlopes, bias: scores.bias, sinks: scores.sinks },
    fail,
  );
  const opts = {
    scale: o.scale,
    causal: o.causal,
    keyLengths: o.keyLengths,
    paddingSide: o.paddingSide,
    mask: o.mask,
    window: o.window as [number, number] | null,
    dropout: null,
    softcap: scores.softcap,
    alibiSlopes: scores.alibiSlopes && host(scores.alibiSlopes),
    bias: scores.bias && host(scores.bias),
    sinks: scores.sinks && host(scores.sinks),
  };
  // q/k/v fields live under inputs in the file.
  const s = contractCheck(
    () => attentionShapes(i.q.shape, i.k.shape, i.v.shape, opts, ''),
    (f) => f.replace(/^([qkv])\./, 'inputs.$1.'),
    fail,
  );
  const outShape = [s.B, s.Hq, s.Sq, s.Dv];
  sameAs('inputs.dOut.shape', i.dOut.shape, 'out [B,Hq,Sq,Dv] =', outShape, fail);
  sameAs('expected.out.shape', e.out.shape, 'out [B,Hq,Sq,Dv] =', outShape, fail);
  sameAs('expected.dq.shape', e.dq.shape, 'inputs.q.shape', i.q.shape, fail);
  sameAs('expected.dk.shape', e.dk.shape, 'inputs.k.shape', i.k.shape, fail);
  sameAs('expected.dv.shape', e.dv.shape, 'inputs.v.shape', i.v.shape, fail);
  if (extra.lse) sameAs('expected.lse.shape', extra.lse.shape, 'lse [B,Hq,Sq] =', [s.B, s.Hq, s.Sq], fail);
  if (extra.dbias) {
    if (!opts.bias) fail('expected.dbias', 'expected.dbias: given without options.bias');
    sameAs('expected.dbias.shape', extra.dbias.shape, 'options.bias.shape', opts.bias!.shape, fail);
  } else if (opts.bias) fail('expected.dbias', 'expected.dbias: missing (options.bias is set)');
  if (extra.dsinks) {
    if (!opts.sinks) fail('expected.dsinks', 'expected.dsinks: given without options.sinks');
    sameAs('expected.dsinks.shape', extra.dsinks.shape, 'sinks [Hq] =', [s.Hq], fail);
  } else if (opts.sinks) fail('expected.dsinks', 'expected.dsinks: missing (options.sinks is set)');
  const mask =
    o.mask === null
      ? null
      : { shape: o.mask.shape as [number, number, number, number], data: Uint8Array.from(o.mask.data) };
  return {
    kind: 'attention',
    ...headerOf(file, g),
    options: { ...opts, mask, precision: 'float32' },
    inputs: { q: host(i.q), k: host(i.k), v: host(i.v), dOut: host(i.dOut) },
    expected: {
      out: host(e.out),
      dq: host(e.dq),
      dk: host(e.dk),
      dv: host(e.dv),
      ...(extra.lse ? { lse: host(extra.lse) } : {}),
      ...(extra.dbias ? { dbias: host(extra.dbias) } : {}),
      ...(extra.dsinks ? { dsinks: host(extra.dsinks) } : {}),
    },
  };
}

function loraGolden(file: string, g: LoraGoldenFile, fail: Fail): Golden {
  const { options: o, inputs: i, expected: e } = g;
  checkLengths('inputs', i, fail);
  checkLengths('expected', e, fail);
  for (const [name, t] of Object.entries(i)) {
    if (t.shape.length !== 2 || !t.shape.every((d) => d >= 1)) {
      fail(`inputs.${name}.shape`, `inputs.${name}.shape ${formatShape(t.shape)} must be 2 positive dims`);
    }
  }
  const [N, fin] = i.x.shape as [number, number];
  const fout = i.W0.shape[0]!;
  const r = o.rank;
  sameAs('inputs.W0.shape', i.W0.shape, `x (in=${fin}): expected [out,in] =`, [fout, fin], fail);
  sameAs('inputs.A.shape', i.A.shape, `options (rank=${r}, in=${fin}): expected [r,in] =`, [r, fin], fail);
  sameAs('inputs.B.shape', i.B.shape, `options (rank=${r}, out=${fout}): expected [out,r] =`, [fout, r], fail);
  sameAs('inputs.dY.shape', i.dY.shape, 'y [N,out] =', [N, fout], fail);
  sameAs('expected.y.shape', e.y.shape, 'y [N,out] =', [N, fout], fail);
  sameAs('expected.dx.shape', e.dx.shape, 'inputs.x.shape', i.x.shape, fail);
  sameAs('expected.dA.shape', e.dA.shape, 'inputs.A.shape', i.A.shape, fail);
  sameAs('expected.dB.shape', e.dB.shape, 'inputs.B.shape', i.B.shape, fail);
  return {
    kind: 'lora-linear',
    ...headerOf(file, g),
    spec: { ...o, dropout: null },
    inputs: { x: host(i.x), W0: host(i.W0), A: host(i.A), B: host(i.B), dY: host(i.dY) },
    expected: { y: host(e.y), dx: host(e.dx), dA: host(e.dA), dB: host(e.dB) },
  };
}

/**
 * The golden files named by `paths`: files as given, folders searched recursively for *.json
 * (sorted, so runs are reproducible). A path that does not exist is a GoldenError.
 */
export function findGoldenFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.json')) out.push(p);
    }
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new GoldenError(p, null, `cannot read (${firstLine(e)})`);
    }
    if (isDir) walk(p);
    else out.push(p);
  }
  return out;
}
