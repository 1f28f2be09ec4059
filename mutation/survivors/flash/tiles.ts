/** Survivors of the full run in kernels/flash/tiles.ts (the tile plan), each read against the code. */
import type { SurvivorRule } from '../rule.js';

const file = 'kernels/flash/tiles.ts';

/** A loop that runs one index too far reads past a typed array (undefined) and writes past it (ignored). */
const PAST_THE_END =
  'a loop one step too far: it reads past a typed array (undefined, falsy) and writes past it, which a ' +
  'typed array ignores, or into the next head, which that head then overwrites: the same bits';

/**
 * operands.ts zeroes the query rows a PartialTile flags: Q is finite in every contract input (junk goes
 * into K and V only), and a row that sees nothing in the tile has masked scores and dT = 0, so zeroing
 * its q or not gives the same answers (operands.ts's survivors at 178-180, replayed by hand).
 */
const ROWS =
  'the query-row flags of a PartialTile null (never zero rows) or always an array (zeroing with the ' +
  'right flags): Q is finite through the contract and a row that sees nothing has masked scores and dT = 0, ' +
  'so its q is never multiplied by anything but 0';

/**
 * A tile the plan would skip (NONE) or run unmasked (ALL) run as a PartialTile instead. Its bits are the
 * same spans, so the answers are too: all-ones bits mask nothing (where(1, S, -inf) = S, rows and cols
 * null); all-zero bits give S = -inf everywhere, P = 0, and with Q, K, V zeroed (rows and cols all 0) a
 * tile that leaves m, l and acc_o bit for bit as they were (alpha = 1, or 0 on a first tile with l = 0,
 * acc_o = 0) and adds exact zeros to dQ, dK, dV and dBias; as forward.ts's header says, exactly as if it
 * had been skipped. Only host work and tile ops are added.
 */
const NEVER_SKIPPED_OR_ALL =
  'the tile verdict never none or never all (a PartialTile of the same spans instead): all-ones bits mask ' +
  'nothing, and an all-zero tile (S = -inf, P = 0, Q, K, V zeroed) leaves m, l, acc_o bit for bit and adds ' +
  'exact zeros to every gradient, as a skipped tile does';

const CACHE = 'a cache bypassed (computed again each time): the same value; host work only';

export const TILES_SURVIVORS: readonly SurvivorRule[] = [
  { file, lines: [64, 64], mutant: /^EqualityOperator h <= N$/, kind: 'equivalent', why: PAST_THE_END },
  { file, lines: [71, 71], kind: 'equivalent', why: ROWS },
  {
    file,
    lines: [72, 72],
    mutant: /^(ArrowFunction|ConditionalExpression false|EqualityOperator x !== 1)/,
    kind: 'equivalent',
    why:
      'the key flags of a PartialTile always an array, never null: zeroing with all-ones flags keeps every ' +
      'key (where picks the operand itself), and a PartialTile always has a seen key, so never all zero',
  },
  { file, lines: [77, 77], mutant: /^ConditionalExpression true$/, kind: 'equivalent', why: CACHE },
  { file, lines: [80, 80], mutant: /^EqualityOperator h <= N$/, kind: 'equivalent', why: PAST_THE_END },
  { file, lines: [82, 82], mutant: /^EqualityOperator j <= C$/, kind: 'equivalent', why: PAST_THE_END },
  {
    file,
    lines: [93, 93],
    kind: 'equivalent',
    why: "ALL's kind 'all' emptied: a label, since the loops test only kind === 'none' and kind === 'partial'",
  },
  {
    file,
    lines: [116, 116],
    mutant: /^(ConditionalExpression false|StringLiteral "")$/,
    kind: 'equivalent',
    why:
      "the 'unrestricted' shortcut off (never taken): every tile is then classified, and with no restriction " +
      'every row sees the whole tile, so each is ALL anyway; host work only',
  },
  {
    file,
    lines: [126, 126],
    mutant: /^ArithmeticOperator Sk \+ 1$/,
    kind: 'equivalent',
    why:
      "a row's last key Sk - 1 -> Sk + 1: hi is only ever lowered by min() or clipped by spans to the tile's " +
      'last key j1 - 1 <= Sk - 1, so the extra keys never reach a span',
  },
  {
    file,
    lines: [144, 144],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why: 'the unrestricted shortcut of tile() off: classify() gives ALL for every tile there; host work only',
  },
  { file, lines: [147, 147], mutant: /^ConditionalExpression true$/, kind: 'equivalent', why: CACHE },
  {
    file,
    lines: [164, 164],
    mutant: /^ArithmeticOperator z \+ a$/,
    kind: 'blind-spot',
    why:
      "a row's visible keys counted z + a + 1 instead of z - a + 1: a partial tile whose rows' overcount " +
      'lands exactly on R·C is run unmasked (ALL); B1 H1 Sq3 Sk3 window [0, 0] Br1 Bc3 (row 1 sees key 1 of ' +
      "3: 1 + 1 + 1 = 3) gives lse off by 0.83 (replayed); needs a row starting past the tile's first key " +
      '(left bound or left padding) and no mask: about 1 generated case in 90',
  },
  {
    file,
    lines: [164, 164],
    mutant: /^AssignmentOperator visible -= /,
    kind: 'equivalent',
    why: NEVER_SKIPPED_OR_ALL,
  },
  {
    file,
    lines: [173, 173],
    mutant: /^ConditionalExpression false$/,
    kind: 'equivalent',
    why:
      'spans computed per batch row without key lengths too: every row then has the same intervals, the ALL ' +
      "test scales with rowsOf.length, and spansOf reads row b's own copy; host work only",
  },
  {
    file,
    lines: [177, 177],
    mutant: /^(ArrowFunction|ArithmeticOperator t - r\.visible$)/,
    kind: 'equivalent',
    why: NEVER_SKIPPED_OR_ALL,
  },
  { file, lines: [178, 178], mutant: /^ConditionalExpression false$/, kind: 'equivalent', why: NEVER_SKIPPED_OR_ALL },
  { file, lines: [180, 180], mutant: /^ConditionalExpression false$/, kind: 'equivalent', why: NEVER_SKIPPED_OR_ALL },
  {
    file,
    lines: [181, 181],
    column: 72,
    mutant: /^StringLiteral ""$/,
    kind: 'equivalent',
    why:
      "the pattern cache key's batch-row separator dropped (join(';') -> join('')): between batch rows only " +
      'the key lengths differ, and they fix the merged pair of numbers (a random search of 660k plans found ' +
      'no collision)',
  },
  {
    file,
    lines: [181, 181],
    column: 61,
    mutant: /^StringLiteral ""$/,
    kind: 'blind-spot',
    why:
      "the pattern cache key without separators: join(',') -> join('') lets two tiles of one call share a " +
      "key, (1, 123) and (11, 23) both '1123': B1 H1 Sq247 Sk248 Br1 Bc124 window [0, 200] keyLengths [148] " +
      'gives dk, dv, lse wrong (replayed); it needs spans of 3 digits in one-row tiles, which large cases ' +
      '(Br >= Sq / 2) never draw',
  },
  { file, lines: [183, 183], mutant: /^ConditionalExpression true$/, kind: 'equivalent', why: CACHE },
  {
    file,
    lines: [189, 189],
    mutant: /^EqualityOperator i <= R$/,
    kind: 'equivalent',
    why:
      'the bits loop runs a row i = R: spans[2R], spans[2R + 1] are past the array (undefined), so ' +
      'fill(1, NaN, NaN) fills nothing',
  },
  {
    file,
    lines: [211, 211],
    mutant: /^EqualityOperator i <= R$/,
    kind: 'equivalent',
    why:
      'the masked loop runs a row i = R: spans[2R], spans[2R + 1] are past the array (undefined), and ' +
      'j <= undefined is false, so it reads no key',
  },
  {
    file,
    lines: [215, 220],
    mutant: /^(UpdateOperator count--|ConditionalExpression false)$/,
    kind: 'equivalent',
    why: `a boolean-masked tile's count run down (count--) or its none/all tests off: ${NEVER_SKIPPED_OR_ALL}`,
  },
  { file, lines: [232, 232], mutant: /^ConditionalExpression true$/, kind: 'equivalent', why: CACHE },
  {
    file,
    lines: [235, 235],
    mutant: /^EqualityOperator j <= C$/,
    kind: 'equivalent',
    why:
      'the ALiBi distance loop runs a column j = C: it writes past the array (ignored) or, untransposed, ' +
      'element (i + 1, 0), which the next row then overwrites with its own distance',
  },
];
