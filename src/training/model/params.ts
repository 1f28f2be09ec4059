/**
 * The named parameters of the tiny decoder, drawn from a seed on the host in float64 (the float32
 * model uploads them rounded; the float64 reference uses them as they are).
 *
 *   embed                 [vocab, d]      frozen
 *   layers.L.attn_norm    [d]             frozen    RMSNorm gain before attention
 *   layers.L.<t>.W        [out, in]       frozen    t in q k v o gate up down (W0 of LoRA)
 *   layers.L.<t>.A        [r, in]         trainable only for the case's LoRA targets
 *   layers.L.<t>.B        [out, r]        trainable
 *   layers.L.mlp_norm     [d]             frozen
 *   norm                  [d]             frozen    final RMSNorm
 *   lm_head               [vocab, d]      frozen
 *
 * Scales keep activations O(1) at every depth: W ~ N(0, 1/in), gains ~ 1 + N(0, 0.1²),
 * A ~ N(0, 1/in) (as PEFT's Kaiming init in spirit), B = 0 or N(0, 0.1²).
 */
import seedrandom from 'seedrandom';
import { type HostTensor, hostTensor } from '../../contract/index.js';
import { normal } from '../../data/index.js';
import { LORA_TARGETS, type LoraConfig, type ModelConfig, projectionShape } from './config.js';

/** Parameters by name, in a fixed order (the order of every report). */
export type Params = Map<string, HostTensor>;

export interface ModelParams {
  readonly frozen: Params;
  readonly trainable: Params;
}

function draw(rng: () => number, shape: number[], std: number, mean = 0): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = mean + std * normal(rng);
  return hostTensor(shape, data);
}

/** The site name of a projection, e.g. `layers.0.q`. */
export function siteName(layer: number, target: string): string {
  return `layers.${layer}.${target}`;
}

/** Draws every parameter from `seed`; the same seed gives the same bits on every machine. */
export function initParams(config: ModelConfig, lora: LoraConfig, seed: number): ModelParams {
  const rng = seedrandom(`attnfuzz-model-${seed}`);
  const frozen: Params = new Map();
  const trainable: Params = new Map();
  const d = config.dModel;
  frozen.set('embed', draw(rng, [config.vocab, d], 1));
  for (let l = 0; l < config.layers; l++) {
    frozen.set(`layers.${l}.attn_norm`, draw(rng, [d], 0.1, 1));
    frozen.set(`layers.${l}.mlp_norm`, draw(rng, [d], 0.1, 1));
    for (const t of LORA_TARGETS) {
      const [out, inp] = projectionShape(config, t);
      frozen.set(`${siteName(l, t)}.W`, draw(rng, [out, inp], 1 / Math.sqrt(inp)));
    }
    for (const t of LORA_TARGETS) {
      if (!lora.targets.includes(t)) continue;
      const [out, inp] = projectionShape(config, t);
      trainable.set(`${siteName(l, t)}.A`, draw(rng, [lora.rank, inp], 1 / Math.sqrt(inp)));
      trainable.set(
        `${siteName(l, t)}.B`,
        lora.initB === 'zero'
          ? hostTensor([out, lora.rank], new Float64Array(out * lora.rank))
          : draw(rng, [out, lora.rank], 0.1),
      );
    }
  }
  frozen.set('norm', draw(rng, [d], 0.1, 1));
  frozen.set('lm_head', draw(rng, [config.vocab, d], 1 / Math.sqrt(d)));
  return { frozen, trainable };
}

/** A deep copy (optimiser steps update the copy, never the case's initial values). */
export function cloneParams(p: Params): Params {
  const out: Params = new Map();
  for (const [name, t] of p) out.set(name, { shape: [...t.shape], data: Float64Array.from(t.data) });
  return out;
}

/** The seed of the LoRA dropout mask at one site and step, so every implementation drops the same inputs. */
export function loraDropoutSeed(caseSeed: number, step: number, layer: number, target: string): number {
  let h = (caseSeed >>> 0) ^ 0x2545f491;
  for (const c of `${step}/${layer}/${target}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h >>> 0;
}

/** The seed of the attention dropout of one layer at one optimiser step. */
export function attentionDropoutSeed(caseSeed: number, step: number, layer: number): number {
  return loraDropoutSeed(caseSeed, step, layer, 'attention');
}
