// f32-gemm-nn-4x8-simd: C (+)= A·B with a 4-row × 8-column register tile.
//
//   A is m × k, element (r, p) at a + r·aRowStride + p·aColStride (bytes; any strides,
//     so A can be K's rows (Q·Kᵀ with Q transposed into B) or a transposed probability
//     block (P·V)); each element is broadcast with v128.load32_splat.
//   B is k × n row-major with row stride ldb (bytes); 8 columns are read as two v128.
//   C is m × n row-major with row stride ldc (bytes).
//   accumulate: C += A·B when true, C = A·B when false.
//
// Preconditions: n is rounded up by the kernel to a multiple of 8: columns n..n8−1 of B
// are read and of C are written, so the caller lays out B and C with that padding (the
// padding columns of C hold junk afterwards). m ≥ 1, k ≥ 0.
// A short last row tile (m not a multiple of 4) reuses the last valid row's pointers
// (as XNNPACK does), so it writes that row twice with the same values, never past C.
// The 8 accumulators stay in registers across the whole k loop; V8 spills with more.
// see: XNNPACK f32-gemm 4x8 wasmsimd "splat" microkernels (same tile and broadcast idea).
import { madd } from "./f32x4-madd";

export function f32GemmNn4x8Simd(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
  accumulate: bool,
): void {
  for (let r = 0; r < m; r += 4) {
    const a0 = a + <usize>r * aRowStride;
    const a1 = r + 1 < m ? a0 + aRowStride : a0;
    const a2 = r + 2 < m ? a1 + aRowStride : a1;
    const a3 = r + 3 < m ? a2 + aRowStride : a2;
    const c0 = c + <usize>r * ldc;
    const c1 = r + 1 < m ? c0 + ldc : c0;
    const c2 = r + 2 < m ? c1 + ldc : c1;
    const c3 = r + 3 < m ? c2 + ldc : c2;
    for (let col = 0; col < n; col += 8) {
      const off = <usize>col << 2;
      let x0: v128, y0: v128, x1: v128, y1: v128, x2: v128, y2: v128, x3: v128, y3: v128;
      if (accumulate) {
        x0 = v128.load(c0 + off); y0 = v128.load(c0 + off, 16);
        x1 = v128.load(c1 + off); y1 = v128.load(c1 + off, 16);
        x2 = v128.load(c2 + off); y2 = v128.load(c2 + off, 16);
        x3 = v128.load(c3 + off); y3 = v128.load(c3 + off, 16);
      } else {
        x0 = f32x4.splat(0); y0 = x0; x1 = x0; y1 = x0; x2 = x0; y2 = x0; x3 = x0; y3 = x0;
      }
      let pa0 = a0, pa1 = a1, pa2 = a2, pa3 = a3;
      let pb = b + off;
      for (let p = 0; p < k; p++) {
        const bx = v128.load(pb);
        const by = v128.load(pb, 16);
        const s0 = v128.load32_splat(pa0);
        x0 = madd(s0, bx, x0); y0 = madd(s0, by, y0);
        const s1 = v128.load32_splat(pa1);
        x1 = madd(s1, bx, x1); y1 = madd(s1, by, y1);
        const s2 = v128.load32_splat(pa2);
        x2 = madd(s2, bx, x2); y2 = madd(s2, by, y2);
        const s3 = v128.load32_splat(pa3);
        x3 = madd(s3, bx, x3); y3 = madd(s3, by, y3);
        pa0 += aColStride; pa1 += aColStride; pa2 += aColStride; pa3 += aColStride;
        pb += ldb;
      }
      v128.store(c0 + off, x0); v128.store(c0 + off, y0, 16);
      v128.store(c1 + off, x1); v128.store(c1 + off, y1, 16);
      v128.store(c2 + off, x2); v128.store(c2 + off, y2, 16);
      v128.store(c3 + off, x3); v128.store(c3 + off, y3, 16);
    }
  }
}
