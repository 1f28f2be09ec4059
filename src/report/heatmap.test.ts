import { describe, expect, it } from 'vitest';
import { hostTensor } from '../contract/index.js';
import { heatmapSvg } from './heatmap.js';

describe('heatmapSvg', () => {
  const ref = hostTensor([1, 2, 2, 3], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const got = hostTensor([1, 2, 2, 3], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, NaN, 3]);
  it('draws the chosen head: one cell per (key, dim), titled, labelled, with a scale', () => {
    const svg = heatmapSvg({ kernel: 'k<1>', tensor: 'dk', got, ref, b: 0, h: 1 });
    expect(svg).toContain('k&lt;1&gt;: |dk - reference|');
    expect(svg).toContain('batch 0, kv head 1; max 2.0e+0');
    expect(svg).toContain('>key j</text>');
    expect(svg).toContain('>head dim</text>');
    expect(svg.match(/<title>key j=/g)).toHaveLength(6);
    expect(svg).toContain('<title>key j=1 dim=1: non-finite</title>');
    expect(svg).toContain('fill="magenta"><title>');
  });
  it('names query rows for out and dq', () => {
    expect(heatmapSvg({ kernel: 'k', tensor: 'out', got, ref, b: 0, h: 0 })).toContain('>query i</text>');
  });
});
