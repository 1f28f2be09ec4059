import { describe, expect, it } from 'vitest';
import { deviceFor, pythonOf, pythonWorkerCommand, pythonWorkerScript, WORKER_SCRIPT } from './targets.js';

describe('worker targets', () => {
  it("--device 'cuda:{i}' gives fuzz worker i the GPU i (wrapping around a count); other devices stay", () => {
    expect([0, 1, 2, 3].map((i) => deviceFor('cuda:{i}', i))).toEqual(['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3']);
    expect([0, 1, 2, 3].map((i) => deviceFor('cuda:{i}', i, 2))).toEqual(['cuda:0', 'cuda:1', 'cuda:0', 'cuda:1']);
    expect(deviceFor('cuda:1', 5)).toBe('cuda:1');
    expect(deviceFor('cpu', 5)).toBe('cpu');
  });

  it('the Python worker is found in the package, run by --python, else ATTNFUZZ_PYTHON, else python3', () => {
    expect(pythonWorkerScript().endsWith(`targets/torch/${WORKER_SCRIPT}`)).toBe(true);
    const saved = process.env.ATTNFUZZ_PYTHON;
    try {
      delete process.env.ATTNFUZZ_PYTHON;
      expect(pythonOf({})).toBe('python3');
      process.env.ATTNFUZZ_PYTHON = '/opt/py/bin/python';
      expect(pythonOf({})).toBe('/opt/py/bin/python');
      expect(pythonOf({ python: '/usr/bin/python3' })).toBe('/usr/bin/python3');
    } finally {
      if (saved === undefined) delete process.env.ATTNFUZZ_PYTHON;
      else process.env.ATTNFUZZ_PYTHON = saved;
    }
    expect(pythonWorkerCommand(['--target', 'sdpa'], { python: 'py', device: 'cuda:1' })).toEqual([
      'py',
      pythonWorkerScript(),
      '--target',
      'sdpa',
      '--device',
      'cuda:1',
    ]);
  });
});
