import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../cli/commands/replay.js';
import { formatTrainingReport } from '../training/index.js';
import { runTrainingCheckCommand } from '../cli/commands/checkTraining.js';
import { parseSavedFailure } from './format.js';
import { formatReplay, replayFile } from './replay.js';
import { parseSavedTrainingFailure, trainingFailureHash, type SavedTrainingFailure } from './training.js';

const EXAMPLE = 'examples/forgot-is-causal/kernel.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) } };
}

/** A correct kernel module at an absolute path: the example with the causal flag read again. */
function fixedModule(dir: string): string {
  const file = join(dir, 'fixed-kernel.ts');
  writeFileSync(file, `import { sdpaKernel } from ${JSON.stringify(resolve('kernels/index.js'))};\nexport default { ...sdpaKernel, name: 'forgot-is-causal-fixed' };\n`);
  return file;
}

// One search of the example kernel (about 2 s), shared: the saved file and the printed lines.
let dir: string;
/** Hand-edited copies go elsewhere, so `dir` holds exactly what the check wrote. */
let variants: string;
let code: number;
let printed: string[];
let file: string;
let saved: SavedTrainingFailure;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attnfuzz-training-save-'));
  variants = mkdtempSync(join(tmpdir(), 'attnfuzz-training-variants-'));
  const o = io();
  code = await runTrainingCheckCommand({ kernel: EXAMPLE, seed: '1', runs: '50', corpus: dir }, o.io);
  printed = o.out.join('').trimEnd().split('\n');
  file = readdirSync(dir).map((f) => join(dir, f))[0]!;
  saved = parseSavedTrainingFailure(JSON.parse(readFileSync(file, 'utf8')), file);
});

function writeVariant(name: string, patch: Partial<SavedTrainingFailure> | Record<string, unknown>): string {
  const f = join(variants, `${name}.json`);
  writeFileSync(f, JSON.stringify({ ...saved, ...patch }));
  return f;
}

describe('check --suite training saves its failure', () => {
  it('atomically as <corpus>/<content hash>.json: one file, no temp file left, kind "training", expect "pass"', () => {
    expect(code).toBe(1);
    expect(readdirSync(dir)).toEqual([`${trainingFailureHash(saved.case, { module: EXAMPLE })}.json`]);
    expect(saved).toMatchObject({ kind: 'training', kernel: { module: EXAMPLE }, expect: 'pass', seed: 1, backend: process.env.ATTNFUZZ_BACKEND || 'cpu' });
    expect(saved.versions.tfjs).toMatch(/^4\./);
    expect(saved.case.batch).toEqual({ layout: 'unpadded', lengths: [2] });
    expect(saved.summary[0]).toMatch(/^logits FAIL /);
    expect(saved.summary.every((l) => / FAIL /.test(l))).toBe(true);
  });
  it('and says where, and how to replay it', () => {
    expect(printed).toContain(`saved: ${file}`);
    expect(printed).toContain(`replay: npx attnfuzz replay ${file}`);
    expect(printed.at(-1)).toMatch(/^search: npx attnfuzz check --suite training --kernel \S+ --seed 1 /);
  });
  it('an attention reader refuses it by kind, and the hash tells it from an attention failure of the same kernel', () => {
    expect(() => parseSavedFailure(JSON.parse(readFileSync(file, 'utf8')), 'x.json')).toThrow(/^x\.json: kind: expected "attention"/);
    expect(trainingFailureHash(saved.case, { builtin: 'sdpa' })).not.toBe(trainingFailureHash(saved.case, { module: EXAMPLE }));
  });
});

describe('replaying a training file', () => {
  it('reproduces the report the check printed, tensor by tensor; expect "pass" on the still-broken kernel is failing', async () => {
    const o = await replayFile(file);
    expect(o.status).toBe('failing');
    if (o.status === 'invalid' || o.kind !== 'training') throw new Error(formatReplay(o));
    expect(o.reproduces).toBe(true);
    expect(o.summary).toEqual(saved.summary);
    const report = formatTrainingReport(o.report);
    const start = printed.indexOf(report[0]!);
    expect(printed.slice(start, start + report.length)).toEqual(report);
    expect(formatReplay(o)).toMatch(/^FAIL .*: training: examples\/forgot-is-causal\/kernel\.ts fails: logits FAIL .*; reproduces the saved report$/);
  });
  it('the CLI prints the report under the file line and exits 1; 0 once the file is marked expect "fail"', async () => {
    const a = io();
    expect(await runReplay([file], {}, a.io)).toBe(1);
    const text = a.out.join('');
    for (const l of saved.summary) expect(text).toContain(`  ${l}\n`);
    expect(text).toContain('  # forgot-is-causal vs float64 reference, step 1\n');
    const known = writeVariant('known', { expect: 'fail', reason: 'adapter-hub/adapters#721 on purpose' });
    const b = io();
    expect(await runReplay([known], {}, b.io)).toBe(0);
    expect(b.out.join('')).toMatch(/still fails as expected \(adapter-hub\/adapters#721 on purpose\): logits FAIL/);
  });
  it('a fixed kernel replays as passing when expect "pass", and as "now passes" when marked expect "fail"', async () => {
    const fixed = fixedModule(variants);
    const pass = await replayFile(writeVariant('fixed', { kernel: { module: fixed } }));
    expect(pass.status, formatReplay(pass)).toBe('ok');
    const builtin = await replayFile(writeVariant('builtin', { kernel: { builtin: 'sdpa' } }));
    expect(builtin.status, formatReplay(builtin)).toBe('ok');
    const gone = writeVariant('gone', { kernel: { module: fixed }, expect: 'fail', reason: 'test' });
    const o = await replayFile(gone);
    expect(o.status).toBe('now-passes');
    expect(formatReplay(o)).toMatch(/^NOW PASSES .*: training: .* passes a case marked expect "fail" \(test\)/);
    expect(existsSync(gone)).toBe(true);
  });
});

describe('a bad training file', () => {
  it('corrupt, invalid or of an unknown kind: one line naming the file, exit 2, never deleted', async () => {
    const truncated = join(variants, 'truncated.json');
    const text = readFileSync(file, 'utf8').slice(0, 200);
    writeFileSync(truncated, text);
    const badCase = writeVariant('badcase', { case: { ...saved.case, steps: 0 } });
    const unknown = writeVariant('unknown', { kind: 'inference' });
    const noReason = writeVariant('noreason', { expect: 'fail' });
    const outcomes = await Promise.all([truncated, badCase, unknown, noReason].map((f) => replayFile(f)));
    const messages = outcomes.map((o) => (o.status === 'invalid' ? o.message : `not invalid: ${o.status}`));
    expect(messages[0]).toMatch(/truncated\.json: corrupt JSON/);
    expect(messages[1]).toMatch(/badcase\.json: case\.steps: must be a positive integer/);
    expect(messages[2]).toMatch(/unknown\.json: kind: unknown kind "inference"/);
    expect(messages[3]).toMatch(/noreason\.json: reason: /);
    for (const m of messages) expect(m).not.toContain('\n');
    const c = io();
    expect(await runReplay([truncated], {}, c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/^INVALID \S*truncated\.json: corrupt JSON/);
    expect(readFileSync(truncated, 'utf8')).toBe(text);
    for (const f of [badCase, unknown, noReason]) expect(existsSync(f)).toBe(true);
  });
});
