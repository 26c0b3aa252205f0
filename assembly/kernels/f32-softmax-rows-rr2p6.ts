// f32-softmax-rows-rr2p6: softmax over each of `rows` rows of n floats, in place
// (row r at p + r·ld bytes). Three passes per row, as XNNPACK composes it:
//   rmax                      m = max_j x_j                  (−∞ entries are masked keys)
//   raddstoreexpminusmax      x_j ← e^(x_j − m), s = Σ x_j   (f32-exp-rr2-p6)
//   scale                     x_j ← x_j / s
// Subtracting the row max first keeps e^(·) ≤ 1, so logits in 80..100 (which overflow
// a plain exp) are fine. A row whose entries are all −∞ (a fully masked row) becomes
// exact zeros, never NaN (ONNX Attention's fully-masked-row rule). NaN anywhere in a row
// makes that row NaN. Relative error of each probability ≤ about 5e-7 (exp 2.6e-7,
// the sum and the division add a few roundings).
import { f32RaddstoreexpminusmaxRr2p6 } from "./f32-raddstoreexpminusmax-rr2p6";

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
    const s = f32RaddstoreexpminusmaxRr2p6(row, n, m);
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
