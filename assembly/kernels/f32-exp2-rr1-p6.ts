// f32-exp2-rr1-p6: 2^x for x ≤ 0, four lanes or one: the fused kernel's softmax works in
// base 2 (its scores are pre-multiplied by log2 e, folded into the query scale), which
// needs no Cody–Waite split of ln 2.
//
// Algorithm ("rr1" = range reduction in one exact step):
//   n = round(x)                          with the 1.5·2^23 magic-number add
//   r = x − n                             exact, |r| ≤ 1/2
//   2^r = e^t, t = r·ln2 (|t| ≤ 0.347)    e^t ≈ (1 + t) + t²·((c2 + c3·t) + t²·(c4 + c5·t + c6·t²)),
//                                         the Taylor polynomial of f32-exp-rr2-p6 in Estrin's
//                                         form (truncation t⁷/7! = 1.2e-7 relative at the ends)
//   2^x = 2^n · 2^r                       2^n written straight into the exponent field
// Compared with e^x by rr2-p6 this drops the multiply by log2 e and the two-step reduction
// (two multiplies, two subtractions) for one multiply by ln 2: the softmax step of the
// fused kernel (two of these per score) ran ~15% faster in a microbenchmark of that step.
//
// Contract: x ≤ 0. x in [−126, 0] is accurate (max relative error in test/kernels.test.ts);
// x below −126 gives +0 (no subnormals); x = −∞ gives +0; NaN gives NaN (the flush
// compares false for NaN, whatever the arithmetic made of the lane otherwise).
// see: W. J. Cody, W. Waite, "Software Manual for the Elementary Functions", 1980, ch. 6;
//      G. Estrin, "Organization of computer systems", 1960.
import { expTaylor6Estrin4 } from "./f32-exp-rr2-p6";

const MAGIC: f32 = 12582912.0; // 0x1.8p23
const LN2: f32 = 0.693147180559945309;
const C2: f32 = 0.5;
const C3: f32 = 0.16666666666666666;
const C4: f32 = 0.041666666666666664;
const C5: f32 = 0.008333333333333333;
const C6: f32 = 0.001388888888888889;
const X_LO: f32 = -126.0;

// Table order is the argument order of exp2f4_rr1p6 after x. 1.0f doubles as the exponent
// bias: its bits are 127 << 23. Loaded into locals once per kernel call (see f32-exp-rr2-p6).
export const EXP2_TABLE: usize = memory.data<f32>([MAGIC, LN2, C2, C3, C4, C5, C6, 1.0, X_LO]);

@inline export function exp2Const(k: i32): v128 {
  return v128.load32_splat(EXP2_TABLE + (<usize>k << 2));
}

@inline export function exp2f_rr1p6(x: f32): f32 {
  const v = x + MAGIC;
  const n = v - MAGIC;
  const t = (x - n) * LN2;
  const t2 = t * t;
  const p: f32 = (t + 1.0) + t2 * ((C2 + C3 * t) + t2 * ((C4 + C5 * t) + C6 * t2));
  const s = reinterpret<f32>((reinterpret<i32>(v) << 23) + (127 << 23));
  return x < X_LO ? <f32>0 : p * s; // NaN compares false and stays NaN
}

@inline export function exp2f4_rr1p6(
  x: v128, magic: v128, ln2: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, one: v128, lo: v128,
): v128 {
  const v = f32x4.add(x, magic);
  const n = f32x4.sub(v, magic);
  const t = f32x4.mul(f32x4.sub(x, n), ln2);
  const p = expTaylor6Estrin4(t, c2, c3, c4, c5, c6, one);
  const s = i32x4.add(i32x4.shl(v, 23), one);
  return v128.andnot(f32x4.mul(p, s), f32x4.lt(x, lo));
}
