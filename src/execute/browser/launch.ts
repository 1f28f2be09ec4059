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
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { PageBackend } from './protocol.js';

/** Which adapter to ask for: Chromium's software one, or whatever GPU Chromium picks. */
export type AdapterChoice = 'swiftshader' | 'default';
export const ADAPTER_CHOICES: readonly AdapterChoice[] = ['swiftshader', 'default'];

/** No Chromium, or it would not start: one line saying what was looked for and how to get it. */
export class BrowserUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserUnavailableError';
  }
}

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to run: `explicit` (--browser), ATTNFUZZ_CHROMIUM, or the first on PATH; null if none. */
export function findChromium(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const named = explicit ?? (env.ATTNFUZZ_CHROMIUM || undefined);
  if (named !== undefined) return named;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const n of NAMES) if (executable(join(dir, n))) return join(dir, n);
  return null;
}

/** The command-line flags for an adapter choice (see the header). */
export function chromiumArgs(adapter: AdapterChoice, backend: PageBackend): string[] {
  const swiftshader =
    backend === 'webgpu'
      ? ['--use-webgpu-adapter=swiftshader']
      : ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
  return [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    ...(adapter === 'swiftshader' ? swiftshader : []),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ];
}

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
      `browser: no Chromium found (looked for ${NAMES.join(', ')} on PATH); install one (apt-get install chromium) ` +
        'or name it with --browser <path> or ATTNFUZZ_CHROMIUM',
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
