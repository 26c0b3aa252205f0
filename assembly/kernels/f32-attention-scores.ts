// f32-attention-scores: writes the attention score matrix [B, Hq, Lq, Lkv] in one of
// four stages (ONNX Attention's qk_matmul_output_mode, and `returnWeights`):
//   mode 0  S  = scale · Q·Kᵀ
//   mode 1  S' = softcap(S)                      (S when softcap is off)
//   mode 2  L  = S' + mask                       −∞ where a key is masked (causal, key
//                                                lengths, bool false, additive −∞)
//   mode 3  P  = softmax(L) per row              fully masked rows are exact zeros
// Only for inspection: it materialises Lq × Lkv per head, which the fused kernels never
// do. Dot products come from the decode kernel's SIMD routine, BK keys at a time; the softmax is
// f32-softmax-rows-rr2p6.
import {
  P_HQ, P_HKV, P_LQ, P_LKV, P_DK, P_Q, P_K, P_SCALE, P_SOFTCAP,
  P_MASK_KIND, P_SCORES, P_SCORES_MODE, P_SCRATCH, P_BLOCK_K, MASK_NONE, pI32, pPtr, pF32,
} from "../params";
import { headAddr, rowBytes, keyLength, rowLimit, maskRow, maskKeyStrideBytes, applyMaskRow } from "./attention-common";
import { dotScores } from "./f32-attention-decode-dot";
import { f32SoftcapTanh } from "./f32-softcap-tanh";
import { f32SoftmaxRowsRr2p6 } from "./f32-softmax-rows-rr2p6";

export function f32AttentionScores(p: usize, bh0: i32, bh1: i32): void {
  const hq = pI32(p, P_HQ), hkv = pI32(p, P_HKV), lq = pI32(p, P_LQ), lkv = pI32(p, P_LKV);
  const dk = pI32(p, P_DK);
  const group = hq / hkv;
  const scale = pF32(p, P_SCALE), softcap = pF32(p, P_SOFTCAP);
  const mode = pI32(p, P_SCORES_MODE);
  const maskKind = pI32(p, P_MASK_KIND);
  const mks = maskKind == MASK_NONE ? <usize>0 : maskKeyStrideBytes(p);
  const ninf = -Infinity as f32;
  const out = pPtr(p, P_SCORES);
  const bk = pI32(p, P_BLOCK_K);
  const part = (pPtr(p, P_SCRATCH) + 15) & ~15; // dotScores' partial sums: 4·BK floats

  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / hq, h = bh % hq, hk = h / group;
    const qh = headAddr(p, P_Q, b, h);
    const kh = headAddr(p, P_K, b, hk);
    const qs = rowBytes(p, P_Q), ks = rowBytes(p, P_K);
    const kl = keyLength(p, b);
    for (let i = 0; i < lq; i++) {
      const row = out + (<usize>(bh * lq + i) * <usize>lkv << 2);
      for (let j0 = 0; j0 < lkv; j0 += bk) {
        dotScores(qh + <usize>i * qs, kh + <usize>j0 * ks, ks, dk, min(bk, lkv - j0), scale, row + (<usize>j0 << 2), part);
      }
      if (mode >= 1 && softcap != 0) f32SoftcapTanh(row, lkv, softcap);
      if (mode >= 2) {
        const hi = rowLimit(p, b, i, kl);
        if (maskKind != MASK_NONE) applyMaskRow(maskKind, row, hi, maskRow(p, b, h, i), 0, mks);
        for (let j = hi; j < lkv; j++) store<f32>(row + (<usize>j << 2), ninf);
      }
      if (mode == 3) f32SoftmaxRowsRr2p6(row, 1, lkv, 0);
    }
  }
}
