/**
 * Starts the installed Chromium, headless, through playwright-core (never downloads a browser).
 *
 * Which Chromium: `--browser <path>`, else ATTNFUZZ_CHROMIUM, else the first of chromium,
 * chromium-browser, google-chrome-stable, google-chrome on PATH.
 *
 *   flag                                   why
 *   --enable-unsafe-webgpu                 WebGPU on Linux is behind it (Chromium 156)
 *   --use-webgpu-adapter=swiftshader       --adapter swiftshader, webgpu: Chromium's software GPU
 *   --use-angle=swiftshader                --adapter swiftshader, webgl: WebGL on the same
 *     --enable-unsafe-swiftshader            (Chromium no longer falls back to it by itself)
 *                                          Not for webgpu: with these two, Chromium 156 loses the
 *                                          WebGPU device when a WebGPU canvas is drawn onto a 2D
 *                                          one, which is how tfjs-backend-webgpu's dataSync reads
 *                                          ("A valid external Instance reference no longer exists")
 *   --no-sandbox                           containers and CI runners rarely allow its namespaces
 *   --disable-background-networking, --disable-component-update, --disable-sync,
 *   --no-first-run, --disable-quic         no network traffic of its own (machines without network
 *                                          fill the log with refused connections otherwise)
 *
 * `--adapter default` adds neither SwiftShader flag: the GPU Chromium picks (a runner's real one).
 * Playwright gives each launch a fresh temporary profile and removes it on close.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { type AdapterChoice, BrowserUnavailableError, CHROMIUM_NAMES, chromiumArgs, findChromium } from './chromium.js';
import type { PageBackend } from './protocol.js';

/** Starts Chromium headless; throws BrowserUnavailableError with the reason. */
export async function launchChromium(o: {
  browser?: string;
  adapter: AdapterChoice;
  backend: PageBackend;
  /** More flags, after attnfuzz's own. */
  args?: readonly string[];
}): Promise<Browser> {
  const path = findChromium(o.browser);
  if (path === null)
    throw new BrowserUnavailableError(
      `browser: no Chromium found (looked for ${CHROMIUM_NAMES.join(', ')} on PATH); ` +
        'install one (apt-get install chromium) or name it with --browser <path> or ATTNFUZZ_CHROMIUM',
    );
  if (!existsSync(path)) throw new BrowserUnavailableError(`browser: ${path} does not exist`);
  const pw = await import('playwright-core').catch(() => {
    throw new BrowserUnavailableError('browser: driving Chromium needs playwright-core (npm install playwright-core)');
  });
  try {
    return await pw.chromium.launch({
      executablePath: path,
      headless: true,
      args: [...chromiumArgs(o.adapter, o.backend), ...(o.args ?? [])],
    });
  } catch (e) {
    const first = (e as Error).message.split('\n').find((l) => l.trim() !== '') ?? String(e);
    throw new BrowserUnavailableError(`browser: ${path} did not start: ${first}`);
  }
}
