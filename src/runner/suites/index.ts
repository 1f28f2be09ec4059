/** Every suite by kind: the one table the stages branch through (see ../suite.ts). */
import type { Suite } from '../suite.js';
import { attentionSuite } from './attention.js';
import { decodeSuite } from './decode.js';
import type { CaseKind } from './kinds.js';
import { loraSuite } from './lora.js';
import { trainingSuite } from './training.js';
import { upstreamSuite } from './upstream.js';

export * from './kinds.js';

// The table is typed loosely on purpose: each entry is typed where it is defined.
// biome-ignore lint/suspicious/noExplicitAny: each suite's own types are checked where it is defined
export type AnySuite = Suite<any, any, any, any>;

export const SUITE_OF: Readonly<Record<CaseKind, AnySuite>> = {
  attention: attentionSuite,
  lora: loraSuite,
  training: trainingSuite,
  decode: decodeSuite,
  upstream: upstreamSuite,
};

export function suiteOf(c: { readonly kind: CaseKind }): AnySuite {
  return SUITE_OF[c.kind];
}

export {
  type AttentionExpectation,
  attentionCaseSize,
  attentionExpectation,
  attentionNeighbours,
} from './attention.js';
export { type DecodeExpectation, decodeNeighbours, describeDecodeCase } from './decode.js';
export { attentionSuite, decodeSuite, loraSuite, trainingSuite, upstreamSuite };
