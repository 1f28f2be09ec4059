import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from './chromium.js';
import { launchChromium } from './launch.js';

const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeBrowser(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\nexit 1\n');
  chmodSync(p, 0o755);
  return p;
}

describe('launch', () => {
  it('finds Chromium by --browser, then ATTNFUZZ_CHROMIUM, then PATH (chromium before google-chrome)', () => {
    const chrome = fakeBrowser('google-chrome');
    const chromium = fakeBrowser('chromium');
    expect(findChromium('/opt/x/chrome', { ATTNFUZZ_CHROMIUM: '/env/chrome', PATH: dir })).toBe('/opt/x/chrome');
    expect(findChromium(undefined, { ATTNFUZZ_CHROMIUM: '/env/chrome', PATH: dir })).toBe('/env/chrome');
    expect(findChromium(undefined, { PATH: `/nonexistent:${dir}` })).toBe(chromium);
    rmSync(chromium);
    expect(findChromium(undefined, { PATH: dir })).toBe(chrome);
    expect(findChromium(undefined, { PATH: '/nonexistent' })).toBeNull();
  });

  it('asks for SwiftShader the way each backend needs it, and never for the network', () => {
    expect(chromiumArgs('swiftshader', 'webgpu')).toContain('--use-webgpu-adapter=swiftshader');
    // With ANGLE on SwiftShader too, Chromium 156 loses the WebGPU device on tfjs's dataSync path.
    expect(chromiumArgs('swiftshader', 'webgpu')).not.toContain('--use-angle=swiftshader');
    expect(chromiumArgs('swiftshader', 'webgl')).toContain('--use-angle=swiftshader');
    for (const backend of ['webgpu', 'webgl'] as const) {
      expect(chromiumArgs('default', backend).join(' ')).not.toMatch(/swiftshader/);
      expect(chromiumArgs('default', backend)).toEqual(
        expect.arrayContaining(['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-quic']),
      );
    }
  });

  it('says where it looked and how to get a browser when there is none, and why one did not start', async () => {
    const saved = { PATH: process.env.PATH, ATTNFUZZ_CHROMIUM: process.env.ATTNFUZZ_CHROMIUM };
    try {
      process.env.PATH = '/nonexistent';
      delete process.env.ATTNFUZZ_CHROMIUM;
      await expect(launchChromium({ adapter: 'swiftshader', backend: 'webgpu' })).rejects.toThrow(
        /no Chromium found \(looked for chromium, .* on PATH\); install one .* --browser <path> or ATTNFUZZ_CHROMIUM/,
      );
      await expect(
        launchChromium({ browser: join(dir, 'nope'), adapter: 'swiftshader', backend: 'webgpu' }),
      ).rejects.toThrow(/browser: .*nope does not exist/);
      await expect(
        launchChromium({ browser: fakeBrowser('broken'), adapter: 'swiftshader', backend: 'webgpu' }),
      ).rejects.toThrow(/browser: .*broken did not start/);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.ATTNFUZZ_CHROMIUM !== undefined) process.env.ATTNFUZZ_CHROMIUM = saved.ATTNFUZZ_CHROMIUM;
    }
  });
});
