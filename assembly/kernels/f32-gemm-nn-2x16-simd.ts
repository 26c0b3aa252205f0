// f32-gemm-nn-2x16-simd: C (+)= A·B with a 2-row × 16-column register tile.
//
//   A is m × k, element (r, p) at a + r·aRowStride + p·aColStride (bytes; any strides,
//     so A can be K's rows (Q·Kᵀ with Q transposed into B) or a transposed probability
//     block (P·V)); each element is broadcast with v128.load32_splat.
//   B is k × n row-major with row stride ldb (bytes); 16 columns are read as four v128.
//   C is m × n row-major with row stride ldc (bytes).
//   accumulate: C += A·B when true, C = A·B when false.
//
// Preconditions: n is a multiple of 16 (f32-gemm-nn.ts gives the last 8 columns of a
// width rounded up to 8 to the 1×32 tile: with a 2×8 tail loop in this function, V8
// compiled the main loop ~15% slower). m ≥ 1, k ≥ 0; an odd last row reuses its own
// pointers for the second row of the tile (written twice with the same values, never
// past C).
//
// Why 2×16 and not 4×8 (same 8 accumulators, 11–13 live registers; V8's x64 backend has
// 16 and spills with more): per 8 multiply-adds it broadcasts 2 elements of A instead of
// 4, and a broadcast from memory costs a shuffle-unit µop on top of the load here. On
// the bench machine (AMD EPYC, Node 20) the gemm shapes of the fused kernel ran 6-8%
// faster with mul+add and up to 20% faster with FMA, whose 4-cycle latency leaves the
// 4×8 tile no slack.
// see: XNNPACK's f32-gemm wasmsimd "splat"/"loadsplat" microkernels (broadcast A, vector B).
import { madd } from "./f32x4-madd";

export function f32GemmNn2x16Simd(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
  accumulate: bool,
): void {
  for (let r = 0; r < m; r += 2) {
    const a0 = a + <usize>r * aRowStride;
    const a1 = r + 1 < m ? a0 + aRowStride : a0;
    const c0 = c + <usize>r * ldc;
    const c1 = r + 1 < m ? c0 + ldc : c0;
    for (let col = 0; col < n; col += 16) {
      const off = <usize>col << 2;
      let x0: v128, y0: v128, z0: v128, w0: v128, x1: v128, y1: v128, z1: v128, w1: v128;
      if (accumulate) {
        x0 = v128.load(c0 + off); y0 = v128.load(c0 + off, 16); z0 = v128.load(c0 + off, 32); w0 = v128.load(c0 + off, 48);
        x1 = v128.load(c1 + off); y1 = v128.load(c1 + off, 16); z1 = v128.load(c1 + off, 32); w1 = v128.load(c1 + off, 48);
      } else {
        x0 = f32x4.splat(0); y0 = x0; z0 = x0; w0 = x0; x1 = x0; y1 = x0; z1 = x0; w1 = x0;
      }
      let pa0 = a0, pa1 = a1;
      let pb = b + off;
      for (let p = 0; p < k; p++) {
        const bx = v128.load(pb), by = v128.load(pb, 16), bz = v128.load(pb, 32), bw = v128.load(pb, 48);
        let s = v128.load32_splat(pa0);
        x0 = madd(s, bx, x0); y0 = madd(s, by, y0); z0 = madd(s, bz, z0); w0 = madd(s, bw, w0);
        s = v128.load32_splat(pa1);
        x1 = madd(s, bx, x1); y1 = madd(s, by, y1); z1 = madd(s, bz, z1); w1 = madd(s, bw, w1);
        pa0 += aColStride; pa1 += aColStride;
        pb += ldb;
      }
      v128.store(c0 + off, x0); v128.store(c0 + off, y0, 16); v128.store(c0 + off, z0, 32); v128.store(c0 + off, w0, 48);
      v128.store(c1 + off, x1); v128.store(c1 + off, y1, 16); v128.store(c1 + off, z1, 32); v128.store(c1 + off, w1, 48);
    }
  }
}
