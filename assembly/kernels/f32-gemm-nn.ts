// Compile-time choice of the C (+)= A·B microkernel for this build: the 4×8 SIMD tile
// (with or without the zero guard; rows past the last multiple of 4 go to the 1×32 tile
// when unguarded) or the scalar loop. Same contract for all: see f32-gemm-nn-4x8-simd.ts.
import { f32GemmNn4x8Simd } from "./f32-gemm-nn-4x8-simd";
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
      const m4 = m & ~3;
      if (m4 > 0) f32GemmNn4x8Simd(m4, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, accumulate);
      if (m4 < m) {
        f32GemmNn1x32Simd(m - m4, n, k, a + <usize>m4 * aRowStride, aRowStride, aColStride, b, ldb, c + <usize>m4 * ldc, ldc, accumulate);
      }
    }
  } else {
    f32GemmNnScalar(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, accumulate, zeroGuard);
  }
}
