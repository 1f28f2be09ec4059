/** Every suite by kind: the one table the stages branch through (see ../suite.ts). */
import type { AttentionCase, DecodeCase, LoraCase, UpstreamCase } from '../../case/index.js';
import type { TrainingCase } from '../../training/index.js';
import type { Suite } from '../suite.js';
import { attentionSuite } from './attention.js';
import { decodeSuite } from './decode.js';
import { loraSuite } from './lora.js';
import { trainingSuite } from './training.js';
import { upstreamSuite } from './upstream.js';

/** Any case attnfuzz checks, told apart by `kind`. */
export type AnyCase = AttentionCase | LoraCase | TrainingCase | DecodeCase | UpstreamCase;
export type CaseKind = AnyCase['kind'];
export const CASE_KINDS: readonly CaseKind[] = ['attention', 'lora', 'training', 'decode', 'upstream'];

// The table is typed loosely on purpose: each entry is typed where it is defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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
