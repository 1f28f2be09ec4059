/**
 * One page in one headless Chromium, kept open across calls: opened on start, reopened after it
 * failed. A call that ends with the page gone costs that call only:
 *
 *   what happened                          noticed by                       then
 *   renderer crashed                       playwright's page 'crash' event  PageFailure 'crashed'
 *   GPU device / WebGL context lost        the page's watch (page/setup.ts) PageFailure 'lost'
 *   no answer within timeoutMs             a timer here                     PageFailure 'hung'
 *   browser process gone                   playwright's 'disconnected'      PageFailure 'crashed'
 *
 * after which the page (and the browser if it is gone) is closed and the next call opens a fresh
 * one. A call that arrives while another is still running (its caller gave up on it) finds the page
 * busy and treats it as hung.
 */
import type { Browser, Page } from 'playwright-core';
import type { AdapterChoice } from './chromium.js';
import { launchChromium } from './launch.js';
import { PageFailure, PageKernelError } from './pageErrors.js';
import type { AdapterInfo, CallMeta, PageAnswer, PageApi, PageBackend, PageReady } from './protocol.js';
import { PageServer } from './server.js';
import { pack, unpack, type WireTensor } from './wire.js';

export interface SessionOptions {
  readonly script: string;
  readonly backend: PageBackend;
  readonly adapter: AdapterChoice;
  readonly browser?: string;
  /** More Chromium flags. */
  readonly args?: readonly string[];
  readonly flags: Readonly<Record<string, boolean | number>>;
  /** A call with no answer after this long means the page hangs. */
  readonly timeoutMs: number;
  /** Files the page loads itself (served under files/: ONNX Runtime Web's module and wasm). */
  readonly files?: Readonly<Record<string, string>>;
  /** false: no tfjs in the page, so no dataSync read-back to probe (page/readback.ts). Default true. */
  readonly probeReadback?: boolean;
}

interface Open {
  readonly page: Page;
  /** Rejects when the page crashes or the browser goes away. */
  readonly gone: Promise<never>;
  /** Stops listening to the browser for this page (a page reopened many times must not pile up listeners). */
  readonly unwatch: () => void;
  /** Calls made on this page. */
  calls: number;
}

/** How many times the timeout a fresh page's first call may take. */
const FIRST_CALL_GRACE = 3;

export class PageSession {
  private browser: Browser | null = null;
  private open: Open | null = null;
  private busy = false;
  private next = 0;
  /** The adapter of the page last opened, and what computes in it ('tfjs-core 4.22.0'). */
  adapter: AdapterInfo | null = null;
  library: string | null = null;
  /** The adapter's WebGPU features, as the page read them ('shader-f16', ...). */
  features: readonly string[] = [];
  /** Whether tfjs-backend-webgpu's dataSync can work in this browser (page/readback.ts); null: not probed yet. */
  readSync: boolean | null = null;

  private constructor(
    private readonly o: SessionOptions,
    private readonly server: PageServer,
  ) {}

  /** Starts the server and opens the page (so the adapter is known before the first call). */
  static async start(o: SessionOptions): Promise<PageSession> {
    const s = new PageSession(o, await PageServer.start(o.script, o.files));
    try {
      await s.ensureOpen();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private async ensureOpen(): Promise<Open> {
    if (this.open !== null) return this.open;
    if (this.browser === null || !this.browser.isConnected()) {
      this.browser = await launchChromium({
        ...(this.o.browser ? { browser: this.o.browser } : {}),
        adapter: this.o.adapter,
        backend: this.o.backend,
        ...(this.o.args ? { args: this.o.args } : {}),
      });
    }
    const browser = this.browser;
    if (this.o.backend === 'webgpu' && this.o.probeReadback !== false && this.readSync === null)
      this.readSync = await this.probeReadback(browser);
    const page = await browser.newPage();
    // ATTNFUZZ_BROWSER_LOG=1: the page's console on stderr (tfjs warnings, WebGPU messages).
    if (process.env.ATTNFUZZ_BROWSER_LOG === '1')
      page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
    let onDisconnect = () => {};
    const gone = new Promise<never>((_, reject) => {
      page.once('crash', () => reject(new PageFailure('crashed', 'the page crashed (renderer process gone)')));
      onDisconnect = () => reject(new PageFailure('crashed', 'the browser process went away'));
      browser.once('disconnected', onDisconnect);
    });
    gone.catch(() => {}); // observed by the call in flight, if any
    const opened: Open = { page, gone, unwatch: () => browser.off('disconnected', onDisconnect), calls: 0 };
    try {
      await page.goto(this.server.url, { timeout: this.o.timeoutMs });
      const ready = await Promise.race([
        page.evaluate((setup) => (globalThis as unknown as { attnfuzz: PageApi }).attnfuzz.init(setup), {
          backend: this.o.backend,
          flags: { ...this.o.flags },
          readSync: this.readSync ?? true,
        }),
        gone,
      ]);
      if (ready.status !== 'ready') throw new PageFailure('unavailable', `browser: ${this.o.backend}: ${ready.reason}`);
      const r = ready as Extract<PageReady, { status: 'ready' }>;
      [this.adapter, this.library, this.features] = [r.adapter, r.library, r.features ?? []];
    } catch (e) {
      opened.unwatch();
      await page.close().catch(() => {});
      throw e instanceof PageFailure
        ? e
        : new PageFailure('crashed', `browser: the page did not open: ${(e as Error).message.split('\n')[0]}`);
    }
    this.open = opened;
    return opened;
  }

  /** Tries WebGPU's canvas readback in a page of its own (a failure takes WebGPU down in that page). */
  private async probeReadback(browser: Browser): Promise<boolean> {
    const page = await browser.newPage();
    try {
      await page.goto(this.server.url, { timeout: this.o.timeoutMs });
      return await page.evaluate(() => (globalThis as unknown as { attnfuzz: PageApi }).attnfuzz.probeReadback());
    } catch {
      return false;
    } finally {
      await page.close().catch(() => {});
    }
  }

  /** One call: the message to the page, its tensors back. Throws PageFailure or PageKernelError. */
  async call(meta: CallMeta, tensors: ReadonlyArray<readonly [string, WireTensor]>): Promise<Map<string, WireTensor>> {
    if (this.busy) await this.discard();
    const open = await this.ensureOpen();
    const { page, gone } = open;
    const id = String(this.next++);
    this.server.put(id, pack(meta, tensors));
    this.busy = true;
    // A fresh page's first call also compiles (tfjs's shaders, ONNX Runtime Web's wasm): it gets longer.
    const limit = open.calls++ === 0 ? FIRST_CALL_GRACE * this.o.timeoutMs : this.o.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PageFailure('hung', `the page gave no answer in ${limit / 1000} s (hung)`)),
        limit,
      );
    });
    let answer: PageAnswer;
    try {
      answer = await Promise.race([
        page.evaluate((i) => (globalThis as unknown as { attnfuzz: PageApi }).attnfuzz.run(i), id),
        gone,
        hung,
      ]);
    } catch (e) {
      await this.discard();
      throw e instanceof PageFailure
        ? e
        : new PageFailure('crashed', `the page failed: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      clearTimeout(timer);
      this.busy = false;
    }
    const body = this.server.take(id);
    if (answer.status === 'lost') {
      await this.discard();
      throw new PageFailure('lost', answer.message);
    }
    if (answer.status === 'threw') throw new PageKernelError(answer.phase, answer.message, answer.name);
    if (body === undefined) throw new PageFailure('crashed', 'the page answered ok but posted no tensors');
    return unpack(body).tensors;
  }

  /** Closes the page (not waiting on a hung one for long); the next call opens a fresh one. */
  private async discard(): Promise<void> {
    const o = this.open;
    this.open = null;
    this.busy = false;
    if (o === null) return;
    o.unwatch();
    const closed = o.page.close({ runBeforeUnload: false }).then(
      () => true,
      () => true,
    );
    const late = new Promise<boolean>((ok) => setTimeout(() => ok(false), 5_000).unref());
    if (!(await Promise.race([closed, late]))) {
      // The renderer does not let go: the whole browser goes, a new one starts on the next call.
      const b = this.browser;
      this.browser = null;
      await b?.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const b = this.browser;
    this.open = null;
    this.browser = null;
    await b?.close().catch(() => {});
    await this.server.close();
  }
}
