/**
 * The known failures of tfjs's GPU backends in headless Chromium (corpus/upstream/browser: each a
 * saved case on webgpu or webgl whose file says how it fails and why) still fail as recorded. When
 * one passes, tfjs (or Chromium) changed: its replay says so, and the file and
 * docs/findings/tfjs-webgpu-4.22.md are updated. Skipped, with the reason printed, without a
 * Chromium that has WebGPU.
 */
import { describe, expect, it } from 'vitest';
import { corpusFiles, formatReplay, replayDetails, replayFile } from '../src/corpus/index.js';
import { browserSkipReason, sayWhySkipped } from './support/browser.js';

const DIR = 'corpus/upstream/browser';
const skip = await browserSkipReason('webgpu');
sayWhySkipped('browser-upstream', skip);

describe.skipIf(skip !== null)(`${DIR}: known tfjs GPU failures${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const files = corpusFiles(DIR);
  it('the folder holds them (an empty folder would pass vacuously)', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s still fails as recorded', async (file) => {
    const o = await replayFile(file);
    expect(o.status, [formatReplay(o), ...replayDetails(o)].join('\n')).toBe('ok');
  });
});
