/** Every suite by kind: the one table the stages branch through (see ../suite.ts). */
import type { AttentionCase, UpstreamCase, LoraCase } from '../../case/index.js';
import type { TrainingCase } from '../../training/index.js';
import type { Suite } from '../suite.js';
import { attentionSuite } from './attention.js';
import { loraSuite } from './lora.js';
import { trainingSuite } from './training.js';
import { upstreamSuite } from './upstream.js';

/** Any case attnfuzz checks, told apart by `kind`. */
export type AnyCase = AttentionCase | LoraCase | TrainingCase | UpstreamCase;
export type CaseKind = AnyCase['kind'];
export const CASE_KINDS: readonly CaseKind[] = ['attention', 'lora', 'training', 'upstream'];

// The table is typed loosely on purpose: each entry is typed where it is defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySuite = Suite<any, any, any, any>;

export const SUITE_OF: Readonly<Record<CaseKind, AnySuite>> = {
  attention: attentionSuite,
  lora: loraSuite,
  training: trainingSuite,
  upstream: upstreamSuite,
};

export function suiteOf(c: { readonly kind: CaseKind }): AnySuite {
  return SUITE_OF[c.kind];
}

export { attentionSuite, loraSuite, trainingSuite, upstreamSuite };
export { attentionNeighbours, attentionCaseSize, attentionExpectation, type AttentionExpectation } from './attention.js';
