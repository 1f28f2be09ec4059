import { describe, expect, it } from 'vitest';
import { importOrt, loadOrt, ORT_INSTALL, ortVersion } from './runtime.js';

describe('loading onnxruntime-node', () => {
  it('a missing package is one line naming the install command and the npm config form', async () => {
    const e = await importOrt('onnxruntime-node-not-installed').catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(`ort: onnxruntime-node is not installed: ${ORT_INSTALL}`);
    expect((e as Error).message).not.toContain('\n');
    expect(ORT_INSTALL).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
    expect(ORT_INSTALL).toMatch(/npm config set onnxruntime-node-install skip/);
  });

  it('the installed package loads once and names its version', async () => {
    expect(await loadOrt()).toBe(await loadOrt());
    expect(await ortVersion()).toMatch(/^1\.30\./);
  });
});
