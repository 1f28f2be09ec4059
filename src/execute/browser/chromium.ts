/**
 * Which Chromium, with which flags: found from `--browser <path>`, ATTNFUZZ_CHROMIUM or PATH, and
 * the flags for an adapter choice (launch.ts explains each). This file needs no browser driver, so
 * the types a library user sees never name playwright-core (an optional peer dependency).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
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

export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

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
    for (const n of CHROMIUM_NAMES) if (executable(join(dir, n))) return join(dir, n);
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
