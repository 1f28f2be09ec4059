/**
 * A worker process as a host kernel (src/contract hostKernel.ts): started once, its hello mapped
 * onto the kernel's declarations, then one run frame per call, answered by a result, an error or
 * a decline. A request that costs the process (it died, hung past `timeoutMs`, wrote garbage)
 * fails with the error naming what happened, and the next call starts a new process, which must
 * say the same hello.
 *
 *   const k = await workerKernel(['python3', 'attnfuzz_worker.py', '--target', 'sdpa']);
 *   await k.run({ q, k, v, options, dOut });   // { out, dq, dk, dv }
 *   await k.close();
 */
import { defineHostKernel, type HostKernel } from '../../contract/index.js';
import type { Frame } from './frames.js';
import { type Hello, helloKey, parseHello } from './hello.js';
import { WorkerFailure, WorkerProcess, type WorkerProcessOptions } from './process.js';
import {
  attentionRequest,
  attentionResult,
  decodeRequest,
  decodeResult,
  loraRequest,
  loraResult,
  type RunRequest,
} from './requests.js';

/** The worker's own error for one request (its message, as it wrote it): a `threw` verdict with that message. */
export class WorkerError extends Error {}

/**
 * The worker declined the case (its `supports` said why, which only it can tell): an `unsupported`
 * verdict, not a failure. The runner asks `declinedReason` where it catches a kernel's error.
 */
export class WorkerDeclined extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The reason a kernel's error declines its case (a WorkerDeclined), or null for a real error. */
export function declinedReason(e: unknown): string | null {
  return e instanceof WorkerDeclined ? e.reason : null;
}

export interface WorkerKernelOptions extends WorkerProcessOptions {
  /** Milliseconds a request may take before the worker is killed and the request fails; default 60 s. */
  readonly timeoutMs?: number;
  /** Milliseconds to wait for the hello (a worker importing PyTorch takes seconds); default 120 s. */
  readonly helloTimeoutMs?: number;
  /** The name reports give the kernel (default: the hello's name). */
  readonly name?: string;
}

/** A worker kernel: a host kernel with what the hello said and how often the process was restarted. */
export type WorkerKernel = HostKernel & {
  readonly hello: Hello;
  /** Processes started after the first one (a died, hung or garbage request each). */
  restarts(): number;
  /** The live process's pid (undefined between a failure and the next call). */
  pid(): number | undefined;
};

async function start(command: readonly string[], o: WorkerKernelOptions): Promise<[WorkerProcess, Hello]> {
  const proc = new WorkerProcess(command, o);
  let frame: Frame;
  try {
    frame = await proc.first(o.helloTimeoutMs ?? 120_000);
  } catch (e) {
    if (e instanceof WorkerFailure && e.kind !== 'start') {
      proc.kill('');
      throw new WorkerFailure(
        `worker ${command.join(' ')}: ${e.message.replace(/ during its hello/, ' before its hello')}`,
        e.kind,
      );
    }
    throw e;
  }
  if (frame.header.type === 'error') {
    await proc.close();
    throw new WorkerFailure(String(frame.header.message ?? 'the worker failed to start'), 'start');
  }
  const hello = parseHello(frame.header);
  if (typeof hello === 'string') {
    proc.kill('');
    throw new WorkerFailure(`worker ${command.join(' ')}: ${hello}`, 'start');
  }
  return [proc, hello];
}

/** Starts `command`, reads its hello, and returns it as a host kernel (rejects with a one-line reason). */
export async function workerKernel(
  command: readonly string[],
  options: WorkerKernelOptions = {},
): Promise<WorkerKernel> {
  const [first, hello] = await start(command, options);
  let proc: WorkerProcess | null = first;
  let restarts = 0;
  let id = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function live(): Promise<WorkerProcess> {
    if (proc !== null && proc.dead === null) return proc;
    proc = null;
    const [next, again] = await start(command, options);
    restarts++;
    if (helloKey(again) !== helloKey(hello)) {
      next.kill('');
      throw new WorkerFailure(`worker ${command.join(' ')}: restarted, it said another hello`, 'start');
    }
    proc = next;
    return next;
  }

  async function exchange(req: RunRequest): Promise<Frame> {
    const p = await live();
    const n = ++id;
    // No id in what a failure says: the same case must fail with the same message (replay, nondeterminism checks).
    const what = `the ${req.header.suite} run`;
    const frame = await p.request({ type: 'run', id: n, ...req.header }, req.buffers, what, timeoutMs);
    const { type, id: answered } = frame.header;
    if (answered !== n && type !== 'error') {
      p.kill(`garbage on stdout: an answer to another run during ${what} (worker killed)`, 'garbage');
      throw p.dead!;
    }
    if (type === 'result') return frame;
    if (type === 'error') throw new WorkerError(String(frame.header.message ?? 'error (no message)'));
    if (type === 'declined') throw new WorkerDeclined(String(frame.header.reason ?? 'declined (no reason)'));
    p.kill(`garbage on stdout: a "${type}" frame during ${what} (worker killed)`, 'garbage');
    throw p.dead!;
  }

  /** One request at a time per process, in call order. */
  function serial<T>(f: () => Promise<T>): Promise<T> {
    const next = queue.then(f, f);
    queue = next.catch(() => {});
    return next;
  }

  const has = (s: Hello['suites'][number]) => hello.suites.includes(s);
  const kernel = defineHostKernel({
    name: options.name ?? hello.name,
    ...(has('attention')
      ? { run: (c) => serial(async () => attentionResult(await exchange(attentionRequest(c)), 'attention')) }
      : {}),
    ...(has('decode')
      ? { decode: (c) => serial(async () => decodeResult(await exchange(decodeRequest(c)), 'decode')) }
      : {}),
    ...(has('lora') ? { lora: (c) => serial(async () => loraResult(await exchange(loraRequest(c)), 'lora')) } : {}),
    ...(hello.features !== undefined ? { features: hello.features } : {}),
    ...(hello.tiles != null ? { tiles: hello.tiles } : {}),
    ...(hello.guarantees !== undefined ? { guarantees: hello.guarantees } : {}),
    ...(hello.backward !== undefined ? { backward: hello.backward } : {}),
    ...(hello.precisions !== undefined ? { precisions: hello.precisions } : {}),
    ...(hello.device !== undefined ? { device: hello.device } : {}),
    close: () => serial(async () => proc?.close()),
  } satisfies Omit<HostKernel, 'kind'>);
  return { ...kernel, hello, restarts: () => restarts, pid: () => (proc?.dead === null ? proc.pid : undefined) };
}
