// f32-gemm-nn-scalar: the same contract as the SIMD tiles (f32-gemm-nn.ts) without SIMD, for the
// scalar build (engines without wasm SIMD). C (+)= A·B; A strided (element (r, p) at
// a + r·aRowStride + p·aColStride bytes), B row-major (ldb bytes), C row-major (ldc).
// Columns are rounded up to a multiple of 8 as in the SIMD kernel, so both builds
// touch the same memory. zeroGuard: a zero in A contributes nothing even against a
// NaN or ±∞ in B (see f32-gemm-nn-4x8-zeroguard-simd).
// A 1-row × 4-column tile of scalar accumulators keeps the loop in registers.
export function f32GemmNnScalar(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
  accumulate: bool, zeroGuard: bool,
): void {
  const n8 = (n + 7) & ~7;
  for (let r = 0; r < m; r++) {
    const ar = a + <usize>r * aRowStride;
    const cr = c + <usize>r * ldc;
    for (let col = 0; col < n8; col += 4) {
      const off = <usize>col << 2;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      if (accumulate) {
        s0 = load<f32>(cr + off); s1 = load<f32>(cr + off, 4);
        s2 = load<f32>(cr + off, 8); s3 = load<f32>(cr + off, 12);
      }
      let pa = ar;
      let pb = b + off;
      for (let p = 0; p < k; p++) {
        const x = load<f32>(pa);
        if (!zeroGuard || x != 0) {
          s0 += x * load<f32>(pb); s1 += x * load<f32>(pb, 4);
          s2 += x * load<f32>(pb, 8); s3 += x * load<f32>(pb, 12);
        }
        pa += aColStride;
        pb += ldb;
      }
      store<f32>(cr + off, s0); store<f32>(cr + off, s1, 4);
      store<f32>(cr + off, s2, 8); store<f32>(cr + off, s3, 12);
    }
  }
}
