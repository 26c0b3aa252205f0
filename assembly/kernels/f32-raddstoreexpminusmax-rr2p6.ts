// f32-raddstoreexpminusmax-rr2p6: x_j ← e^(x_j − m) over n consecutive floats, returns
// Σ_j e^(x_j − m) (XNNPACK's name for this step of a softmax: "reduce-add, store, exp,
// minus max"). The exp is f32-exp-rr2-p6 (accurate for x − m ≤ 0); an x of −∞ (a masked
// key) gives exactly 0; NaN gives NaN and makes the sum NaN.
import { expf_rr2p6, expf4_rr2p6, expConst } from "./f32-exp-rr2-p6";

export function f32RaddstoreexpminusmaxRr2p6(x: usize, n: i32, m: f32): f32 {
  let sum: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const e0 = expConst(0), e1 = expConst(1), e2 = expConst(2), e3 = expConst(3);
    const e4 = expConst(4), e5 = expConst(5), e6 = expConst(6), e7 = expConst(7);
    const e8 = expConst(8), one = expConst(9), e10 = expConst(10);
    const vm = f32x4.splat(m);
    let vs = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const q = x + (<usize>j << 2);
      const e = expf4_rr2p6(f32x4.sub(v128.load(q), vm), e0, e1, e2, e3, e4, e5, e6, e7, e8, one, e10);
      v128.store(q, e);
      vs = f32x4.add(vs, e);
    }
    sum = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1)) +
          (f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3));
  }
  for (; j < n; j++) {
    const q = x + (<usize>j << 2);
    const e = expf_rr2p6(load<f32>(q) - m);
    store<f32>(q, e);
    sum += e;
  }
  return sum;
}
