/**
 * The worker's hello, its first frame: what it is and what it declares, the same declarations a
 * tfjs kernel makes (src/contract kernel.ts), checked once here at the boundary.
 *
 *   { "type": "hello", "protocol": 1, "name": "torch:sdpa", "suites": ["attention"],
 *     "features": { "alibi": true, "bias": true }, "tiles": null, "guarantees": {},
 *     "backward": true, "precisions": ["float32", "bfloat16"], "device": "cpu (PyTorch 1.13.0)" }
 */
import { z } from 'zod';
import { PRECISIONS } from '../../contract/index.js';

/** The protocol version this side speaks (docs/PROTOCOL.md); a worker's hello must name the same major. */
export const PROTOCOL_VERSION = 1;

/** The suites a run request may name; `training` is reserved for the next protocol step. */
export const WORKER_SUITES = ['attention', 'decode', 'lora', 'training'] as const;
export type WorkerSuite = (typeof WORKER_SUITES)[number];

const precision = z.enum(PRECISIONS as unknown as ['float32', 'bfloat16', 'float16']);

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  name: z.string().min(1),
  suites: z.array(z.enum(WORKER_SUITES)).min(1),
  features: z
    .object({
      softcap: z.boolean().optional(),
      alibi: z.boolean().optional(),
      bias: z.boolean().optional(),
      sinks: z.boolean().optional(),
    })
    .optional(),
  tiles: z.object({ Br: z.number().int().positive(), Bc: z.number().int().positive() }).nullable().optional(),
  guarantees: z.object({ unseenKeysUnread: z.boolean().optional() }).optional(),
  backward: z.boolean().optional(),
  precisions: z.array(precision).min(1).optional(),
  device: z.string().optional(),
  /** Free text for reports: versions of what the worker runs ('PyTorch 1.13.0, Python 3.11.2'). */
  about: z.string().optional(),
});

export type Hello = z.infer<typeof helloSchema>;

/** The hello of a frame header, or the one-line reason it is not one. */
export function parseHello(header: unknown): Hello | string {
  const r = helloSchema.safeParse(header);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return `hello.${i.path.join('.') || '(frame)'}: ${i.message}`;
  }
  if (r.data.protocol !== PROTOCOL_VERSION)
    return `hello.protocol: the worker speaks protocol ${r.data.protocol}, attnfuzz speaks ${PROTOCOL_VERSION}`;
  return r.data;
}

/** The hello as a stable string, to tell whether a restarted worker is still the same kernel. */
export function helloKey(h: Hello): string {
  const { device: _d, about: _a, ...rest } = h;
  const sorted = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sorted)
      : typeof x === 'object' && x !== null
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sorted(rest));
}
