// f32-softcap-tanh: s ← c·tanh(s / c) over n consecutive floats, in place (the logit
// soft-capping of Gemma 2 and Grok; ONNX Attention's `softcap` attribute).
//
// tanh(x) for a = |x|, with the sign of x put back at the end:
//   a ≥ 1/4:  tanh a = (1 − t) / (1 + t),  t = e^(−2a) ≤ 0.61 (f32-exp-rr2-p6; −2a ≤ 0 is
//             its accurate range). 1 − t loses at most log2(1/0.39) bits: ≤ 3e-7 relative.
//   a < 1/4:  the Taylor series a − a³/3 + 2a⁵/15 − 17a⁷/315 + 62a⁹/2835, whose first
//             omitted term (1382/155925)·a¹¹ is below 1e-8 relative at a = 1/4.
// NaN stays NaN; ±∞ gives ±c; the caller skips the pass when c = 0 (softcap off).
// see: M. Abramowitz, I. Stegun, Handbook of Mathematical Functions, 4.5.64 (tanh series).
import { expf_rr2p6, expf4_rr2p6, expConst } from "./f32-exp-rr2-p6";
import { madd } from "./f32x4-madd";

const T3: f32 = -0.3333333333333333;
const T5: f32 = 0.13333333333333333;
const T7: f32 = -0.05396825396825397;
const T9: f32 = 0.021869488536155203;
const A_SMALL: f32 = 0.25;
const SOFTCAP_TABLE: usize = memory.data<f32>([T3, T5, T7, T9, A_SMALL, -2.0]);

@inline function tanhAbs(a: f32): f32 {
  if (a < A_SMALL) {
    const z = a * a;
    return a + a * z * (T3 + z * (T5 + z * (T7 + z * T9)));
  }
  const t = expf_rr2p6(-2.0 * a);
  return (1.0 - t) / (1.0 + t);
}

export function f32SoftcapTanh(p: usize, n: i32, cap: f32): void {
  const inv: f32 = 1.0 / cap;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e0 = expConst(0), e1 = expConst(1), e2 = expConst(2), e3 = expConst(3);
    const e4 = expConst(4), e5 = expConst(5), e6 = expConst(6), e7 = expConst(7);
    const e8 = expConst(8), one = expConst(9), e10 = expConst(10);
    const t3 = v128.load32_splat(SOFTCAP_TABLE), t5 = v128.load32_splat(SOFTCAP_TABLE, 4);
    const t7 = v128.load32_splat(SOFTCAP_TABLE, 8), t9 = v128.load32_splat(SOFTCAP_TABLE, 12);
    const small = v128.load32_splat(SOFTCAP_TABLE, 16), m2 = v128.load32_splat(SOFTCAP_TABLE, 20);
    const vinv = f32x4.splat(inv), vcap = f32x4.splat(cap);
    const sign = i32x4.splat(0x80000000);
    for (; i + 4 <= n; i += 4) {
      const q = p + (<usize>i << 2);
      const x = f32x4.mul(v128.load(q), vinv);
      const a = f32x4.abs(x);
      const z = f32x4.mul(a, a);
      let poly = madd(z, t9, t7);
      poly = madd(poly, z, t5);
      poly = madd(poly, z, t3);
      const lo = madd(f32x4.mul(a, z), poly, a);
      const t = expf4_rr2p6(f32x4.mul(a, m2), e0, e1, e2, e3, e4, e5, e6, e7, e8, one, e10);
      const hi = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t));
      const r = v128.bitselect(lo, hi, f32x4.lt(a, small));
      v128.store(q, f32x4.mul(v128.or(r, v128.and(x, sign)), vcap));
    }
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    const x = load<f32>(q) * inv;
    store<f32>(q, cap * copysign<f32>(tanhAbs(abs<f32>(x)), x));
  }
}
