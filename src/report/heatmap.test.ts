import { describe, expect, it } from 'vitest';
import { hostTensor } from '../contract/index.js';
import { heatmapSvg } from './heatmap.js';

describe('heatmapSvg', () => {
  const ref = hostTensor([1, 2, 2, 3], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const got = hostTensor([1, 2, 2, 3], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, NaN, 3]);
  const axes = ['b', 'h', 'key', 'dim'];
  it('draws the chosen slice: one cell per (key, dim), titled, labelled, with a scale', () => {
    const svg = heatmapSvg({ kernel: 'k<1>', tensor: 'dk', got, ref, at: [0, 1], axes });
    expect(svg).toContain('k&lt;1&gt;: |dk - reference|');
    expect(svg).toContain('b=0, h=1; max 2.0e+0');
    expect(svg).toContain('>key</text>');
    expect(svg).toContain('>dim</text>');
    expect(svg.match(/<title>key=/g)).toHaveLength(6);
    expect(svg).toContain('<title>key=1 dim=1: non-finite</title>');
    expect(svg).toContain('fill="magenta"><title>');
  });
  it('draws a 2D tensor whole, with generic axis names when none are given', () => {
    const svg = heatmapSvg({
      kernel: 'k',
      tensor: 'y',
      got: hostTensor([2, 2], [1, 2, 3, 5]),
      ref: hostTensor([2, 2], [1, 2, 3, 4]),
      at: [],
    });
    expect(svg).toContain('>axis 0</text>');
    expect(svg.match(/<title>axis 0=/g)).toHaveLength(4);
    expect(svg).toContain('max 1.0e+0');
  });
});
