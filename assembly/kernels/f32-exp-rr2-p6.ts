// f32-exp-rr2-p6: e^x for the softmax range x ≤ 0, four lanes or one.
//
// Algorithm (Cody & Waite range reduction, "rr2" = in two steps):
//   n = round(x · log2 e)                 rounded with the 1.5·2^23 magic-number add
//   r = x − n·ln2_hi − n·ln2_lo           |r| ≤ ln2/2; ln2_hi has 16 significant bits, so
//                                         n·ln2_hi is exact for |n| ≤ 128
//   e^r ≈ 1 + r + r²/2! + … + r⁶/6!       Taylor polynomial of degree 6 ("p6"); its
//                                         truncation error r⁷/7! is 1.2e-7 relative at |r| = ln2/2
//   e^x = 2^n · e^r                       2^n written straight into the exponent field
// Measured over [−87, 0] against float64 exp: max relative error 2.4e-7 one lane, 2.5-2.6e-7
// four lanes (test/kernels.test.ts).
// The four-lane version evaluates the polynomial in Estrin's form,
//   (1 + r) + r²·((c2 + c3·r) + r²·(c4 + c5·r + c6·r²)),
// a dependency chain of 4 multiply-adds instead of Horner's 6, and does not clamp x:
// lanes below the flush threshold are zeroed by the final mask whatever the arithmetic
// made of them. With the clamps gone too this took the fused kernel's softmax step
// (64×32 scores) from ~2.6 to ~2.1 us here, and bert-512 end to end ~5% faster (the fused
// kernel has since moved to base 2: f32-exp2-rr1-p6).
//
// Contract: x ≤ 0 (every caller exponentiates a difference to a running maximum, or
// −2|x|). x in [ln 2^-126, 0] is accurate; x below ln 2^-126 ≈ −87.34 gives +0 (flush
// instead of subnormals; e^-87 is already 1.6e-38, far below anything a softmax row can
// resolve); x = −∞ gives +0; NaN gives NaN (the flush compares false for NaN).
// see: G. Estrin, "Organization of computer systems", 1960 (the evaluation scheme).
// see: W. J. Cody, W. Waite, "Software Manual for the Elementary Functions", 1980, ch. 6.
import { madd } from "./f32x4-madd";

// Constants: log2(e), the rounding magic 1.5·2^23, ln2 split high/low, 1/k! for
// k = 2..6, 1, and the flush threshold. The SIMD path loads them from this table into locals once
// per kernel call (V8 re-materialises a v128.const on every loop iteration, and
// binaryen would fold a splat of a constant back into the loop).
const LOG2E: f32 = 1.44269504088896341;
const MAGIC: f32 = 12582912.0; // 0x1.8p23
const LN2_HI: f32 = 0.693145751953125; // 0x3F317200
const LN2_LO: f32 = 1.42860682030941723212e-6; // 0x35BFBE8E
const C2: f32 = 0.5;
const C3: f32 = 0.16666666666666666;
const C4: f32 = 0.041666666666666664;
const C5: f32 = 0.008333333333333333;
const C6: f32 = 0.001388888888888889;
const X_LO: f32 = -87.33654475; // ln(2^-126): n = -126 gives the smallest normal 2^n
const X_HI: f32 = 88.0; // keeps n ≤ 127

// Table order is the argument order of expf4_rr2p6. 1.0f doubles as the exponent bias:
// its bits are 127 << 23.
export const EXP_TABLE: usize = memory.data<f32>([LOG2E, MAGIC, LN2_HI, LN2_LO, C2, C3, C4, C5, C6, 1.0, X_LO]);

@inline export function expConst(k: i32): v128 {
  return v128.load32_splat(EXP_TABLE + (<usize>k << 2));
}

@inline export function expf_rr2p6(x: f32): f32 {
  const xc = x < X_LO ? X_LO : (x > X_HI ? X_HI : x); // NaN compares false twice and stays NaN
  const v = xc * LOG2E + MAGIC;
  const n = v - MAGIC;
  const r = xc - n * LN2_HI - n * LN2_LO;
  let p = C6;
  p = p * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const s = reinterpret<f32>((reinterpret<i32>(v) << 23) + (127 << 23));
  return x < X_LO ? 0 : p * s;
}

// Four lanes of expf_rr2p6 (Estrin, no clamp: see the header). The constants come in as
// arguments so that a caller that inlines this into a loop keeps them in locals.
@inline export function expf4_rr2p6(
  x: v128, log2e: v128, magic: v128, ln2hi: v128, ln2lo: v128,
  c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, one: v128, lo: v128,
): v128 {
  const v = f32x4.add(f32x4.mul(x, log2e), magic);
  const n = f32x4.sub(v, magic);
  let r = f32x4.sub(x, f32x4.mul(n, ln2hi));
  r = f32x4.sub(r, f32x4.mul(n, ln2lo));
  const p = expTaylor6Estrin4(r, c2, c3, c4, c5, c6, one);
  const s = i32x4.add(i32x4.shl(v, 23), one);
  // x < lo (including −∞) flushes to +0; NaN compares false and keeps p·s = NaN.
  return v128.andnot(f32x4.mul(p, s), f32x4.lt(x, lo));
}

// e^t ≈ (1 + t) + t²·((c2 + c3·t) + t²·(c4 + c5·t + c6·t²)) on four lanes, |t| ≤ ln2/2:
// the degree-6 Taylor polynomial in Estrin's form (shared with f32-exp2-rr1-p6).
@inline export function expTaylor6Estrin4(t: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, one: v128): v128 {
  const t2 = f32x4.mul(t, t);
  const lo2 = madd(c3, t, c2);
  const hi2 = madd(madd(c6, t2, madd(c5, t, c4)), t2, lo2);
  return madd(hi2, t2, f32x4.add(one, t));
}
