// Compile-time choice of the C (+)= A·B microkernel for this build: the 2×16 SIMD tile
// (a last 8 columns and an odd last row go to the 1×32 tile), the 4×8 zero-guarded SIMD
// tile, or the scalar loop.
// Contract for all: A element (r, p) at a + r·aRowStride + p·aColStride (bytes), each
// broadcast; B (k × n) and C (m × n) row-major with byte strides ldb, ldc; C = A·B, or
// C += A·B with accumulate. n is rounded up to a multiple of 8: columns n..n8−1 of B
// are read and of C written, so callers lay out B and C with that padding (the padding
// columns of C hold junk afterwards). m ≥ 1, k ≥ 0.
import { f32GemmNn2x16Simd } from "./f32-gemm-nn-2x16-simd";
import { f32GemmNn4x8ZeroguardSimd } from "./f32-gemm-nn-4x8-zeroguard-simd";
import { f32GemmNnScalar } from "./f32-gemm-nn-scalar";
import { f32GemmNn1x32Simd } from "./f32-gemm-nn-1x32-simd";

@inline export function gemmNn(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
  accumulate: bool, zeroGuard: bool,
): void {
  if (ASC_FEATURE_SIMD) {
    if (zeroGuard) f32GemmNn4x8ZeroguardSimd(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc);
    else {
      const m2 = m & ~1;
      const n8 = (n + 7) & ~7, n16 = n8 & ~15;
      if (m2 > 0 && n16 > 0) f32GemmNn2x16Simd(m2, n16, k, a, aRowStride, aColStride, b, ldb, c, ldc, accumulate);
      if (m2 > 0 && n16 < n8) {
        const o = <usize>n16 << 2;
        f32GemmNn1x32Simd(m2, 8, k, a, aRowStride, aColStride, b + o, ldb, c + o, ldc, accumulate);
      }
      if (m2 < m) {
        f32GemmNn1x32Simd(1, n, k, a + <usize>m2 * aRowStride, aRowStride, aColStride, b, ldb, c + <usize>m2 * ldc, ldc, accumulate);
      }
    }
  } else {
    f32GemmNnScalar(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, accumulate, zeroGuard);
  }
}
