/**
 * `attnfuzz check --backends wasm,webgpu` finds a user module that is right on wasm and wrong on
 * webgpu only (test/fixtures/browser-kernels/webgpu-only.ts, run in headless Chromium on
 * SwiftShader), shrinks it, names webgpu, saves the case with its backends and adapter, and the
 * saved file replays on them to the same verdict. Skipped, with the reason printed, without a
 * Chromium that has WebGPU.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../fixtures/cli.js';
import { replayFile } from '../src/corpus/index.js';
import { browserSkipReason, sayWhySkipped } from './support/browser.js';

const FIXTURE = 'test/fixtures/browser-kernels/webgpu-only.ts';
const skip = await browserSkipReason('webgpu');
sayWhySkipped('browser-cross-backend', skip);
const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-browser-cross-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== null)(`check --backends wasm,webgpu${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('finds a module broken on webgpu only, names webgpu, saves its backends and adapter; it replays', async () => {
    const { code, out, err } = await cli(
      ...['check', '--kernel', FIXTURE, '--backends', 'wasm,webgpu', '--runs', '60', '--seed', '2'],
      ...['--corpus', dir],
    );
    expect(err).toMatch(/^check: webgpu adapter: google swiftshader$/m);
    expect(code, out + err).toBe(1);
    expect(out).toMatch(/\[wasm vs webgpu\]: FAILED \(\w+ on webgpu\)/);
    expect(out).toMatch(/^verdict on webgpu:\n(.*\n)*? {2}dv MISMATCH/m);
    expect(out).toMatch(/^ {2}wasm vs webgpu: \w+ DISAGREE/m);
    // The webgpu path drops the unpaired last key: only an odd Sk > 1 shows it.
    const shrunk = JSON.parse(/^\{"version".*$/m.exec(out)![0]) as { shapes: { Sk: number } };
    expect(shrunk.shapes.Sk % 2 === 1 && shrunk.shapes.Sk > 1).toBe(true);
    const file = /^saved: (.+\.json)$/m.exec(out)![1]!;
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.backends).toEqual(['wasm', 'webgpu']);
    expect(saved.adapters).toEqual([
      { backend: 'webgpu', vendor: 'google', architecture: 'swiftshader', description: '', isSwiftShader: true },
    ]);
    const replayed = await replayFile(file);
    expect(replayed.status).toBe('failing');
    if (replayed.status !== 'failing') return;
    expect(replayed.check.verdict).toMatchObject({ backend: 'webgpu' });
    expect(replayed.adapterChange).toBeUndefined();
  });
});

describe('page backends on the command line', () => {
  it('refuse a suite a page does not run, before opening any page (exit 2, one line)', async () => {
    const { code, err } = await cli('check', '--kernel', 'lora', '--suite', 'lora', '--backend', 'webgpu');
    expect(code).toBe(2);
    expect(err).toBe('check: --backend: the lora suite does not run on webgpu (a page runs attention and decode)\n');
  });

  it('take webgpu and webgl in --backends and refuse an unknown backend with the list', async () => {
    const { code, err } = await cli('check', '--kernel', 'sdpa', '--backends', 'wasm,webgpux');
    expect(code).not.toBe(0);
    expect(err).toMatch(/unknown backend 'webgpux'; expected some of cpu, wasm, tensorflow, webgpu, webgl/);
  });
});
