// f32-gemm-nn-4x8-zeroguard-simd: C += A·B with a 4-row × 8-column register tile, like
// the unguarded tiles (f32-gemm-nn.ts) except that a zero in A contributes exactly nothing, even where B holds NaN or ±∞ (0·NaN is NaN).
//
// Used for P·V when a value head holds a non-finite number: a masked key has
// probability exactly 0 and must not reach the output, however much garbage sits in its
// value row (padding may hold anything). One compare and two ands per four multiply-adds more than the plain tile, so
// the attention kernel picks it only for heads whose V is not all finite.
// Same layout contract as f32-gemm-nn.ts (A strided and broadcast, n padded to 8,
// short row tile reuses the last row); always accumulates.
import { madd } from "./f32x4-madd";

// acc + s·(b where s ≠ 0, else 0): the B operand is zeroed where s is zero, so the
// product is exactly 0 there and exactly the unguarded s·b (same madd, same rounding)
// elsewhere; results match the plain tile bit for bit wherever no key is masked.
@inline function guarded(s: v128, b: v128, acc: v128, nz: v128): v128 {
  return madd(s, v128.and(b, nz), acc);
}

export function f32GemmNn4x8ZeroguardSimd(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize,
  c: usize, ldc: usize,
): void {
  const zero = f32x4.splat(0);
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
      let x0 = v128.load(c0 + off), y0 = v128.load(c0 + off, 16);
      let x1 = v128.load(c1 + off), y1 = v128.load(c1 + off, 16);
      let x2 = v128.load(c2 + off), y2 = v128.load(c2 + off, 16);
      let x3 = v128.load(c3 + off), y3 = v128.load(c3 + off, 16);
      let pa0 = a0, pa1 = a1, pa2 = a2, pa3 = a3;
      let pb = b + off;
      for (let p = 0; p < k; p++) {
        const bx = v128.load(pb);
        const by = v128.load(pb, 16);
        const s0 = v128.load32_splat(pa0);
        const nz0 = f32x4.ne(s0, zero);
        x0 = guarded(s0, bx, x0, nz0); y0 = guarded(s0, by, y0, nz0);
        const s1 = v128.load32_splat(pa1);
        const nz1 = f32x4.ne(s1, zero);
        x1 = guarded(s1, bx, x1, nz1); y1 = guarded(s1, by, y1, nz1);
        const s2 = v128.load32_splat(pa2);
        const nz2 = f32x4.ne(s2, zero);
        x2 = guarded(s2, bx, x2, nz2); y2 = guarded(s2, by, y2, nz2);
        const s3 = v128.load32_splat(pa3);
        const nz3 = f32x4.ne(s3, zero);
        x3 = guarded(s3, bx, x3, nz3); y3 = guarded(s3, by, y3, nz3);
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
