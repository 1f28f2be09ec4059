/** The kinds of case attnfuzz checks, and the suites a kernel can be checked in. */
import type { AttentionCase, DecodeCase, LoraCase, UpstreamCase } from '../../case/index.js';
import type { TrainingCase } from '../../training/index.js';

/** Any case attnfuzz checks, told apart by `kind`. */
export type AnyCase = AttentionCase | LoraCase | TrainingCase | DecodeCase | UpstreamCase;
export type CaseKind = AnyCase['kind'];
export const CASE_KINDS: readonly CaseKind[] = ['attention', 'lora', 'training', 'decode', 'upstream'];

/**
 * The suites a kernel can be checked in: every kind but `upstream` (known failures of other projects, replayed only).
 */
export const SUITES = ['attention', 'lora', 'training', 'decode'] as const satisfies readonly CaseKind[];
export type SuiteName = (typeof SUITES)[number];
