/**
 * A worker process as a host kernel, with real processes: the plain-Node example worker answers,
 * and a misbehaving one (test/fixtures/workers/misbehaving.mjs) dies, hangs, prints garbage, throws
 * and declines on cue. Each failure costs the one request it was on, named, and the next request
 * gets a new process.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostAttentionCall, HostKernel } from '../../contract/index.js';
import { WorkerFailure } from './process.js';
import { WorkerDeclined, WorkerError, type WorkerKernel, workerKernel } from './workerKernel.js';

const ROOT = join(import.meta.dirname, '../../..');
const MISBEHAVING = [process.execPath, join(ROOT, 'test/fixtures/workers/misbehaving.mjs')];
const CORRECT = [process.execPath, join(ROOT, 'examples/workers/correct.mjs')];

/** q = k = v = [[1, 0], [0, 1]] (B = Hq = Hkv = 1, Sq = Sk = D = 2), causal top-left, at `scale`. */
function call(scale: number, backward = true): HostAttentionCall {
  const t = { shape: [1, 1, 2, 2], data: Float32Array.from([1, 0, 0, 1]) };
  return {
    q: t,
    k: t,
    v: t,
    dOut: backward ? { shape: [1, 1, 2, 2], data: Float32Array.from([1, 1, 1, 1]) } : null,
    options: {
      scale,
      causal: 'top-left',
      window: null,
      keyLengths: null,
      paddingSide: 'right',
      mask: null,
      dropout: null,
      precision: 'float32',
    },
  };
}

const open: HostKernel[] = [];
async function start(command: string[], o: Parameters<typeof workerKernel>[1] = {}): Promise<WorkerKernel> {
  const k = await workerKernel(command, o);
  open.push(k);
  return k;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((k) => k.close?.()));
});

describe('workerKernel', () => {
  it("maps the hello onto the kernel's declarations and runs a case: out, lse and the gradients", async () => {
    const k = await start(CORRECT);
    expect(k).toMatchObject({ kind: 'host', name: 'node-attention', backward: true, features: {} });
    expect(k.precisions).toEqual(['float32', 'bfloat16', 'float16']);
    const r = await k.run!(call(1));
    // query 0 sees key 0 only; query 1 sees both with weights e/(e+1), 1/(e+1) on v = e1, e0
    const e = Math.E;
    expect(Array.from(r.out.data).map((x) => Number(x.toFixed(5)))).toEqual(
      [1, 0, 1 / (1 + e), e / (1 + e)].map((x) => Number(x.toFixed(5))),
    );
    expect(r.lse?.shape).toEqual([1, 1, 2]);
    expect(r.dq?.shape).toEqual([1, 1, 2, 2]);
    const f = await k.run!(call(1, false));
    expect(f.dq).toBeUndefined();
  });

  it("a worker's own error is the request's error, with its message, and the worker serves on", async () => {
    const k = await start(MISBEHAVING);
    const pid = k.pid();
    await expect(k.run!(call(104))).rejects.toThrow(new WorkerError('Error: boom'));
    await expect(k.run!(call(105))).rejects.toBeInstanceOf(WorkerDeclined);
    await expect(k.run!(call(105))).rejects.toMatchObject({ reason: 'not this one' });
    await k.run!(call(1));
    expect([k.pid(), k.restarts()]).toEqual([pid, 0]);
  });

  it('a worker that kills itself mid-case costs that case, named, and is restarted', async () => {
    const k = await start(MISBEHAVING);
    const pid = k.pid();
    await expect(k.run!(call(103))).rejects.toThrow(/^worker exited with signal SIGKILL during the attention run$/);
    await k.run!(call(1));
    expect(k.restarts()).toBe(1);
    expect(k.pid()).not.toBe(pid);
  });

  it('kill -9 from outside while a case runs: that case fails naming the signal, the next one runs', async () => {
    const k = await start(MISBEHAVING);
    const pending = k.run!(call(102)); // hangs
    setTimeout(() => process.kill(k.pid()!, 'SIGKILL'), 100);
    await expect(pending).rejects.toThrow('worker exited with signal SIGKILL during the attention run');
    await expect(k.run!(call(1))).resolves.toHaveProperty('out');
  });

  it(
    'a worker that hangs past the timeout is killed: ' + 'that case fails with "no answer in", the next one runs',
    async () => {
      const k = await start(MISBEHAVING, { timeoutMs: 300 });
      const t0 = performance.now();
      await expect(k.run!(call(102))).rejects.toThrow(
        new WorkerFailure('no answer in 0.3 s to the attention run (worker killed)', 'hung'),
      );
      expect(performance.now() - t0).toBeLessThan(3000);
      await expect(k.run!(call(1))).resolves.toHaveProperty('out');
      expect(k.restarts()).toBe(1);
    },
  );

  it('garbage on stdout mid-case costs that case, quoted, and the worker is restarted', async () => {
    const k = await start(MISBEHAVING);
    await expect(k.run!(call(101))).rejects.toThrow(
      'garbage on stdout: "hello from a stray print\\n" (a frame starts with "ATFZ") during the attention run ' +
        '(worker killed)',
    );
    await expect(k.run!(call(1))).resolves.toHaveProperty('out');
    expect(k.restarts()).toBe(1);
  });

  it("a worker that exits says its code and its stderr's last line", async () => {
    const k = await start(MISBEHAVING);
    await expect(k.run!(call(106))).rejects.toThrow(
      'worker exited with code 3 during the attention run (stderr: misbehaving: out of cheese)',
    );
  });

  it('requests made at once are answered in order, one at a time', async () => {
    const k = await start(CORRECT);
    const rs = await Promise.all([1, 0.5, 2].map((s) => k.run!(call(s))));
    expect(rs.map((r) => r.out.shape)).toEqual([
      [1, 1, 2, 2],
      [1, 1, 2, 2],
      [1, 1, 2, 2],
    ]);
  });

  it('a command that is not there, or that dies before its hello, is a one-line start error', async () => {
    await expect(workerKernel(['/no/such/worker'])).rejects.toThrow('cannot start worker /no/such/worker: ENOENT');
    await expect(workerKernel([process.execPath, '-e', 'console.error("no luck"); process.exit(2)'])).rejects.toThrow(
      /worker .* exited with code 2 before its hello \(stderr: no luck\)/,
    );
    await expect(workerKernel([process.execPath, '-e', 'console.log("hi")'])).rejects.toThrow(
      /garbage on stdout: "hi\\n"/,
    );
  });

  it('close ends the process', async () => {
    const k = await workerKernel(CORRECT);
    const pid = k.pid()!;
    await k.close!();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
