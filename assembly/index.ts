// The wasm ABI of wasm-attention: flat functions over pointers and numbers, no managed
// objects, no imports. The TypeScript wrapper (src/abi.ts) owns all memory: it lays out
// the parameter block (params.ts), the inputs and the scratch in linear memory above
// heapBase(), grows the memory when a call needs more, and calls these.
//
// The same source compiles to three builds (asconfig.json): relaxed-simd, simd, scalar;
// kernels pick their code path at compile time with ASC_FEATURE_SIMD /
// ASC_FEATURE_RELAXED_SIMD.
import { f32AttentionFlash, flashScratchBytes } from "./kernels/f32-attention-flash";
import { f32AttentionDecodeDot, decodeScratchBytes } from "./kernels/f32-attention-decode-dot";
import { f32AttentionScores } from "./kernels/f32-attention-scores";
import { f32SoftmaxRowsRr2p6 } from "./kernels/f32-softmax-rows-rr2p6";
import { f32SoftcapTanh } from "./kernels/f32-softcap-tanh";
import { expf_rr2p6, expf4_rr2p6, expConst } from "./kernels/f32-exp-rr2-p6";
import { exp2f_rr1p6, exp2f4_rr1p6, exp2Const } from "./kernels/f32-exp2-rr1-p6";
import { gemmNn } from "./kernels/f32-gemm-nn";
import { f32CopyRows } from "./kernels/f32-copy-rows";
import { P_COUNT } from "./params";

// 0 scalar, 1 simd, 2 relaxed-simd: lets the wrapper name a module it was handed.
export function buildKind(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}

// First byte the wrapper may use; everything below holds the kernels' constant tables.
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

// Number of 32-bit slots in the parameter block.
export function paramSlots(): i32 {
  return P_COUNT;
}

// Scratch bytes the fused and decode kernels need for these sizes and blocks.
export function attentionScratchBytes(dk: i32, dv: i32, blockQ: i32, blockK: i32): usize {
  const a = flashScratchBytes(dk, dv, blockQ, blockK);
  const b = decodeScratchBytes(dv, blockK);
  return a > b ? a : b;
}

// Fused attention (online softmax) for heads bh in [bh0, bh1) (bh = b·Hq + h), query rows [q0, q1).
export function attentionFlash(p: usize, bh0: i32, bh1: i32, q0: i32, q1: i32): void {
  f32AttentionFlash(p, bh0, bh1, q0, q1);
}

// The same for a few query rows (decoding), by dot products against K.
export function attentionDecode(p: usize, bh0: i32, bh1: i32, q0: i32, q1: i32): void {
  f32AttentionDecodeDot(p, bh0, bh1, q0, q1);
}

// Score matrix in stage P_SCORES_MODE (0 S, 1 softcapped, 2 masked, 3 probabilities).
export function attentionScores(p: usize, bh0: i32, bh1: i32): void {
  f32AttentionScores(p, bh0, bh1);
}

export function softmaxRows(p: usize, rows: i32, n: i32, ld: usize): void {
  f32SoftmaxRowsRr2p6(p, rows, n, ld);
}

export function softcap(p: usize, n: i32, cap: f32): void {
  f32SoftcapTanh(p, n, cap);
}

// x ← e^x over n floats with the kernels' exp (for accuracy tests).
export function expInPlace(p: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const e0 = expConst(0), e1 = expConst(1), e2 = expConst(2), e3 = expConst(3);
    const e4 = expConst(4), e5 = expConst(5), e6 = expConst(6), e7 = expConst(7);
    const e8 = expConst(8), one = expConst(9), e10 = expConst(10);
    for (; i + 4 <= n; i += 4) {
      const q = p + (<usize>i << 2);
      v128.store(q, expf4_rr2p6(v128.load(q), e0, e1, e2, e3, e4, e5, e6, e7, e8, one, e10));
    }
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, expf_rr2p6(load<f32>(q)));
  }
}

// x ← 2^x over n floats with the fused kernel's exp2 (for accuracy tests).
export function exp2InPlace(p: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const x0 = exp2Const(0), x1 = exp2Const(1), x2 = exp2Const(2), x3 = exp2Const(3);
    const x4 = exp2Const(4), x5 = exp2Const(5), x6 = exp2Const(6), one = exp2Const(7), x8 = exp2Const(8);
    for (; i + 4 <= n; i += 4) {
      const q = p + (<usize>i << 2);
      v128.store(q, exp2f4_rr1p6(v128.load(q), x0, x1, x2, x3, x4, x5, x6, one, x8));
    }
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, exp2f_rr1p6(load<f32>(q)));
  }
}

// C (+)= A·B, the microkernel of both attention kernels (and of the projections):
// A element (r, p) at a + r·aRowStride + p·aColStride bytes, B and C row-major with
// byte strides ldb, ldc, columns rounded up to a multiple of 8 (see f32-gemm-nn.ts).
export function gemm(
  m: i32, n: i32, k: i32, a: usize, aRowStride: usize, aColStride: usize,
  b: usize, ldb: usize, c: usize, ldc: usize, accumulate: bool,
): void {
  gemmNn(m, n, k, a, aRowStride, aColStride, b, ldb, c, ldc, accumulate, false);
}

export function copyRows(
  dst: usize, dsb: i32, dsh: i32, dsl: i32, src: usize, ssb: i32, ssh: i32, ssl: i32,
  nb: i32, nh: i32, nl: i32, d: i32,
): void {
  f32CopyRows(dst, dsb, dsh, dsl, src, ssb, ssh, ssl, nb, nh, nl, d);
}
