// f32-gemm-nn-1x32-simd: C (+)= A·B for one row of A at a time, 32 columns (8 v128
// accumulators) per pass: an odd last row and a last 8 columns past the 2×16 tile
// (f32-gemm-nn-2x16-simd). A single row (a decode step's projection, M = 1) would
// otherwise run the 2-row tile on two copies of itself.
// Same layout contract as f32-gemm-nn.ts: A strided and broadcast, B and C
// row-major with byte strides, n rounded up to a multiple of 8 (padding columns of C
// hold junk).
import { madd } from "./f32x4-madd";

export function f32GemmNn1x32Simd(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
  accumulate: bool,
): void {
  const n8 = (n + 7) & ~7;
  for (let r = 0; r < m; r++) {
    const ar = a + <usize>r * aRowStride;
    const cr = c + <usize>r * ldc;
    let col = 0;
    for (; col + 32 <= n8; col += 32) {
      const q = cr + (<usize>col << 2);
      let x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128;
      if (accumulate) {
        x0 = v128.load(q); x1 = v128.load(q, 16); x2 = v128.load(q, 32); x3 = v128.load(q, 48);
        x4 = v128.load(q, 64); x5 = v128.load(q, 80); x6 = v128.load(q, 96); x7 = v128.load(q, 112);
      } else {
        x0 = f32x4.splat(0); x1 = x0; x2 = x0; x3 = x0; x4 = x0; x5 = x0; x6 = x0; x7 = x0;
      }
      let pa = ar;
      let pb = b + (<usize>col << 2);
      for (let p = 0; p < k; p++) {
        const s = v128.load32_splat(pa);
        x0 = madd(s, v128.load(pb), x0); x1 = madd(s, v128.load(pb, 16), x1);
        x2 = madd(s, v128.load(pb, 32), x2); x3 = madd(s, v128.load(pb, 48), x3);
        x4 = madd(s, v128.load(pb, 64), x4); x5 = madd(s, v128.load(pb, 80), x5);
        x6 = madd(s, v128.load(pb, 96), x6); x7 = madd(s, v128.load(pb, 112), x7);
        pa += aColStride;
        pb += ldb;
      }
      v128.store(q, x0); v128.store(q, x1, 16); v128.store(q, x2, 32); v128.store(q, x3, 48);
      v128.store(q, x4, 64); v128.store(q, x5, 80); v128.store(q, x6, 96); v128.store(q, x7, 112);
    }
    for (; col < n8; col += 8) {
      const q = cr + (<usize>col << 2);
      let x0 = accumulate ? v128.load(q) : f32x4.splat(0);
      let x1 = accumulate ? v128.load(q, 16) : f32x4.splat(0);
      let pa = ar;
      let pb = b + (<usize>col << 2);
      for (let p = 0; p < k; p++) {
        const s = v128.load32_splat(pa);
        x0 = madd(s, v128.load(pb), x0); x1 = madd(s, v128.load(pb, 16), x1);
        pa += aColStride;
        pb += ldb;
      }
      v128.store(q, x0); v128.store(q, x1, 16);
    }
  }
}
