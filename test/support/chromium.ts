/**
 * A page rendered by a real headless browser (Debian's chromium), for tests that check the
 * campaign's index.html: the DOM after load, the page's console lines (any at all is an error: the
 * page has no script), and a screenshot's size. `CHROMIUM` is null when no browser is installed:
 * tests are then skipped with that reason in their title, and CI needs no browser.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM: string | null =
  [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
    (p): p is string => p !== undefined && existsSync(p),
  ) ?? null;

export interface Rendered {
  readonly dom: string;
  readonly console: string[];
  readonly screenshotBytes: number;
}

export function render(file: string): Rendered {
  if (CHROMIUM === null) throw new Error('no chromium');
  const profile = mkdtempSync(join(tmpdir(), 'attnfuzz-chromium-'));
  const shot = join(profile, 'shot.png');
  try {
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ];
    const r = spawnSync(
      CHROMIUM,
      [
        ...flags,
        `--user-data-dir=${profile}`,
        '--enable-logging=stderr',
        '--v=0',
        `--screenshot=${shot}`,
        '--window-size=1200,2000',
        '--dump-dom',
        pathToFileURL(file).href,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return {
      dom: r.stdout,
      console: r.stderr.split('\n').filter((l) => l.includes(':CONSOLE')),
      screenshotBytes: existsSync(shot) ? statSync(shot).size : 0,
    };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
