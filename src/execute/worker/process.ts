/**
 * One worker process: spawned from an argv (no shell), its hello read, then one request at a time.
 * Whatever goes wrong with the process is an error naming it, for the case it cost:
 *
 *   died      'worker exited with signal SIGKILL during run 7 (stderr: ...)'
 *   hung      'no answer in 10 s to run 7 (worker killed)'
 *   garbage   'garbage on stdout: "hello\n" (a frame starts with "ATFZ") (worker killed)'
 *
 * after which this process is dead for good (the kernel starts another, workerKernel.ts). Its
 * stderr is kept (the last lines name the cause in the messages above) and passed to `onStderr`.
 * While idle the process does not keep Node's event loop alive.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { encodeFrame, type Frame, type FrameBuffer, FrameReader, GarbageError } from './frames.js';

/** The process failed (died, hung, garbage, could not start): the request it was on is lost with it. */
export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'start' | 'died' | 'hung' | 'garbage',
  ) {
    super(message);
  }
}

export interface WorkerProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Each chunk the worker writes to stderr (its prints land there too); default: kept, not shown. */
  readonly onStderr?: (text: string) => void;
  /** Names the program in a start error ('python3 not found: ...'); default: the generic message. */
  readonly explainStart?: (code: string, program: string) => string;
}

const STDERR_KEPT = 4096;

const seconds = (ms: number) => `${Number((ms / 1000).toPrecision(3))} s`;

interface Waiter {
  readonly what: string;
  resolve(f: Frame): void;
  reject(e: Error): void;
}

export class WorkerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly reader = new FrameReader();
  private waiter: Waiter | null = null;
  private stderrTail = '';
  private failure: WorkerFailure | null = null;
  private exited = false;
  private readonly exit: Promise<void>;
  private exitResolve: () => void = () => {};

  constructor(
    readonly command: readonly string[],
    private readonly options: WorkerProcessOptions = {},
  ) {
    if (command.length === 0 || command[0] === '') throw new WorkerFailure('worker: the command is empty', 'start');
    this.child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exit = new Promise((resolve) => (this.exitResolve = resolve));
    this.child.once('close', () => this.exitResolve());
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEPT);
      options.onStderr?.(text);
    });
    this.child.stdin.on('error', () => {}); // EPIPE when it died: the exit says what happened
    this.child.once('error', (e: NodeJS.ErrnoException) => this.onSpawnError(e));
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    this.idle();
  }

  /** The pid, for tests and reports. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Dead (exited, killed, or broke the protocol): every request fails with this. */
  get dead(): WorkerFailure | null {
    return this.failure;
  }

  /** The last line the worker wrote to stderr ('' if none). */
  lastStderrLine(): string {
    const lines = this.stderrTail.split('\n').filter((l) => l.trim() !== '');
    return lines.at(-1)?.trim() ?? '';
  }

  /** The next frame the worker sends unasked (its hello), within `timeoutMs`. */
  first(timeoutMs: number): Promise<Frame> {
    return this.await('its hello', timeoutMs);
  }

  /**
   * Sends one frame and resolves with the worker's answer; `what` names the request in errors ('the
   * attention run').
   */
  request(header: Record<string, unknown>, buffers: readonly FrameBuffer[], what: string, timeoutMs: number) {
    if (this.failure) return Promise.reject(this.failure);
    const answer = this.await(what, timeoutMs);
    const stdin = this.child.stdin;
    stdin.cork();
    for (const b of encodeFrame(header, buffers)) stdin.write(b);
    process.nextTick(() => stdin.uncork());
    return answer;
  }

  /** Ends the process now (SIGKILL), failing a request in flight with `reason`. */
  kill(reason: string, kind: WorkerFailure['kind'] = 'died'): void {
    this.fail(new WorkerFailure(reason, kind));
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Closes stdin (a worker exits at end of input) and waits for the exit; SIGKILL after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.failure) this.fail(new WorkerFailure('worker: closed', 'died'));
    this.child.stdin.end();
    this.child.ref();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  private await(what: string, timeoutMs: number): Promise<Frame> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error(`worker: ${what} asked while ${this.waiter.what} is in flight`));
    this.busy();
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(
        () => this.kill(`no answer in ${seconds(timeoutMs)} to ${what} (worker killed)`, 'hung'),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.waiter = null;
        this.idle();
      };
      this.waiter = {
        what,
        resolve: (f) => {
          done();
          resolve(f);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      const during = this.waiter ? ` during ${this.waiter.what}` : ' between requests';
      this.kill(`${(e as Error).message}${during} (worker killed)`, 'garbage');
      return;
    }
    for (const f of frames) {
      if (!this.waiter) {
        this.kill(new GarbageError(`a "${f.header.type}" frame nobody asked for (worker killed)`).message, 'garbage');
        return;
      }
      this.waiter.resolve(f);
    }
  }

  private onSpawnError(e: NodeJS.ErrnoException): void {
    const program = this.command[0]!;
    const message =
      this.options.explainStart?.(e.code ?? '', program) ?? `cannot start worker ${program}: ${e.code ?? e.message}`;
    this.exited = true;
    this.fail(new WorkerFailure(message, 'start'));
    this.exitResolve();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    const how = signal !== null ? `with signal ${signal}` : `with code ${code}`;
    const during = this.waiter ? ` during ${this.waiter.what}` : '';
    // stderr may still be draining: give it its last chunk before naming the cause.
    setImmediate(() => {
      const err = this.lastStderrLine();
      this.fail(new WorkerFailure(`worker exited ${how}${during}${err ? ` (stderr: ${err})` : ''}`, 'died'));
    });
  }

  private fail(f: WorkerFailure): void {
    if (this.failure) return;
    this.failure = f;
    this.waiter?.reject(f);
    this.idle();
  }

  private busy(): void {
    this.child.ref();
    handle(this.child.stdout).ref?.();
  }

  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdin]) handle(s).unref?.();
  }
}

/** A pipe's socket handle (Node's child stdio are net.Sockets, typed as plain streams). */
const handle = (s: object) => s as { ref?: () => void; unref?: () => void };
