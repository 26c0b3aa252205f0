// f32-softmax-rows-rr2p6: softmax over each of `rows` rows of n floats, in place
// (row r at p + r·ld bytes). Three passes per row, as XNNPACK composes it:
//   rmax                      m = max_j x_j                  (−∞ entries are masked keys)
//   raddstoreexpminusmax      x_j ← e^(x_j − m), s = Σ x_j   (f32-exp-rr2-p6)
//   scale                     x_j ← x_j / s
// Subtracting the row max first keeps e^(·) ≤ 1, so logits in 80..100 (which overflow
// a plain exp) are fine. A row whose entries are all −∞ (a fully masked row) becomes
// exact zeros, never NaN (ONNX Attention's fully-masked-row rule). NaN anywhere in a row
// makes that row NaN. Relative error of each probability ≤ about 5e-7 (exp 2.4e-7,
// the sum and the division add a few roundings).
import { expf_rr2p6, expf4_rr2p6, expConst } from "./f32-exp-rr2-p6";

export function f32SoftmaxRowsRr2p6(p: usize, rows: i32, n: i32, ld: usize): void {
  const ninf = -Infinity as f32;
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * ld;
    // rmax with NaN-propagating max (f32.max, f32x4.max): a row of NaN logits must come
    // out NaN, not be taken for a fully masked row.
    let m = ninf;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let vm = f32x4.splat(ninf);
      for (; j + 4 <= n; j += 4) vm = f32x4.max(vm, v128.load(row + (<usize>j << 2)));
      m = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)),
              max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    }
    for (; j < n; j++) {
      m = max(m, load<f32>(row + (<usize>j << 2)));
    }
    if (m == ninf) {
      memory.fill(row, 0, <usize>n << 2);
      continue;
    }
    // raddstoreexpminusmax
    let s: f32 = 0;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const e0 = expConst(0), e1 = expConst(1), e2 = expConst(2), e3 = expConst(3);
      const e4 = expConst(4), e5 = expConst(5), e6 = expConst(6), e7 = expConst(7);
      const e8 = expConst(8), one = expConst(9), e10 = expConst(10), e11 = expConst(11);
      const vm = f32x4.splat(m);
      let vs = f32x4.splat(0);
      for (; j + 4 <= n; j += 4) {
        const q = row + (<usize>j << 2);
        const e = expf4_rr2p6(f32x4.sub(v128.load(q), vm), e0, e1, e2, e3, e4, e5, e6, e7, e8, one, e10, e11);
        v128.store(q, e);
        vs = f32x4.add(vs, e);
      }
      s = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1)) +
          (f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3));
    }
    for (; j < n; j++) {
      const q = row + (<usize>j << 2);
      const e = expf_rr2p6(load<f32>(q) - m);
      store<f32>(q, e);
      s += e;
    }
    // scale
    const inv: f32 = 1.0 / s;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const vi = f32x4.splat(inv);
      for (; j + 4 <= n; j += 4) {
        const q = row + (<usize>j << 2);
        v128.store(q, f32x4.mul(v128.load(q), vi));
      }
    }
    for (; j < n; j++) {
      const q = row + (<usize>j << 2);
      store<f32>(q, load<f32>(q) * inv);
    }
  }
}
