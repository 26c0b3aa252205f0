// f32-attention-decode-dot: attention for a few query rows (decoding: one new token
// against a cache), one row at a time, keys read straight from K with dot products.
//
// Same semantics and parameter block as f32-attention-flash. For one row there is no
// query block to amortise a transposed copy of Q over, and the work is bound by reading
// K and V once; so per key block of ≤ BK keys:
//   s_j = scale · q·k_j                      SIMD dot products over Dk, 4 keys at a time
//   softcap, dense mask (keys past the row limit are never read)
//   m' = max(m, max s); α = e^(m − m'); p_j = e^(s_j − m'); l ← α·l + Σ p
//   acc ← α·acc + Σ_j p_j·v_j                SIMD over Dv; a key with p_j = 0 is skipped,
//                                            so a masked key's NaN value never leaks
// out = acc / l (a fully masked row gives zeros, lse −∞).
// Scratch: BK scores + Dv accumulators.
// ref: Milakov & Gimelshein, arXiv:1805.02867 (online softmax).
import {
  P_HQ, P_HKV, P_LQ, P_DK, P_DV, P_Q, P_K, P_V, P_OUT, P_SCALE, P_SOFTCAP,
  P_MASK_KIND, P_LSE, P_SCRATCH, P_BLOCK_K, MASK_NONE, pI32, pPtr, pF32,
} from "../params";
import { headAddr, rowBytes, keyLength, rowLimit, maskRow, maskKeyStrideBytes, applyMaskRow } from "./attention-common";
import { expf_rr2p6 } from "./f32-exp-rr2-p6";
import { f32RaddstoreexpminusmaxRr2p6 } from "./f32-raddstoreexpminusmax-rr2p6";
import { f32SoftcapTanh } from "./f32-softcap-tanh";
import { madd } from "./f32x4-madd";

@inline function pad8(n: i32): i32 { return (n + 7) & ~7; }

export function decodeScratchBytes(dv: i32, bk: i32): usize {
  return (<usize>bk + <usize>pad8(dv)) * 4 + 16;
}

// s[jj] = scale · q·k_{j0+jj} for jj < nk.
export function dotScores(q: usize, k: usize, ks: usize, dk: i32, nk: i32, scale: f32, s: usize): void {
  let jj = 0;
  if (ASC_FEATURE_SIMD) {
    const d4 = dk & ~3;
    for (; jj + 4 <= nk; jj += 4) {
      const k0 = k + <usize>jj * ks, k1 = k0 + ks, k2 = k1 + ks, k3 = k2 + ks;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (let d = 0; d < d4; d += 4) {
        const o = <usize>d << 2;
        const vq = v128.load(q + o);
        a0 = madd(vq, v128.load(k0 + o), a0);
        a1 = madd(vq, v128.load(k1 + o), a1);
        a2 = madd(vq, v128.load(k2 + o), a2);
        a3 = madd(vq, v128.load(k3 + o), a3);
      }
      // Transpose-and-add: lane t of the result is the horizontal sum of a_t.
      const t0 = f32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
      const t1 = f32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
      let r = f32x4.add(i64x2.shuffle(t0, t1, 0, 2), i64x2.shuffle(t0, t1, 1, 3));
      for (let d = d4; d < dk; d++) {
        const x = load<f32>(q + (<usize>d << 2));
        const o = <usize>d << 2;
        let tail = f32x4.splat(x * load<f32>(k0 + o));
        tail = f32x4.replace_lane(tail, 1, x * load<f32>(k1 + o));
        tail = f32x4.replace_lane(tail, 2, x * load<f32>(k2 + o));
        tail = f32x4.replace_lane(tail, 3, x * load<f32>(k3 + o));
        r = f32x4.add(r, tail);
      }
      v128.store(s + (<usize>jj << 2), f32x4.mul(r, f32x4.splat(scale)));
    }
  }
  for (; jj < nk; jj++) {
    const kr = k + <usize>jj * ks;
    let a: f32 = 0;
    for (let d = 0; d < dk; d++) a += load<f32>(q + (<usize>d << 2)) * load<f32>(kr + (<usize>d << 2));
    store<f32>(s + (<usize>jj << 2), a * scale);
  }
}

// acc[0..n) += Σ_jj p_jj · v_{jj} over nk value rows (row jj at v + jj·vs), skipping
// p = 0 exactly (a masked key's value row may hold NaN). SIMD: n is a multiple of 8
// (the padding lanes hold junk); 32 columns at a time stay in 8 registers across all
// keys, so the accumulator is loaded and stored once per block, not once per key.
function pvRow(acc: usize, p: usize, nk: i32, v: usize, vs: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    let col = 0;
    for (; col + 32 <= n; col += 32) {
      const a = acc + (<usize>col << 2);
      let x0 = v128.load(a), x1 = v128.load(a, 16), x2 = v128.load(a, 32), x3 = v128.load(a, 48);
      let x4 = v128.load(a, 64), x5 = v128.load(a, 80), x6 = v128.load(a, 96), x7 = v128.load(a, 112);
      let row = v + (<usize>col << 2);
      for (let jj = 0; jj < nk; jj++) {
        const pj = load<f32>(p + (<usize>jj << 2));
        if (pj != 0) {
          const s = f32x4.splat(pj);
          x0 = madd(s, v128.load(row), x0); x1 = madd(s, v128.load(row, 16), x1);
          x2 = madd(s, v128.load(row, 32), x2); x3 = madd(s, v128.load(row, 48), x3);
          x4 = madd(s, v128.load(row, 64), x4); x5 = madd(s, v128.load(row, 80), x5);
          x6 = madd(s, v128.load(row, 96), x6); x7 = madd(s, v128.load(row, 112), x7);
        }
        row += vs;
      }
      v128.store(a, x0); v128.store(a, x1, 16); v128.store(a, x2, 32); v128.store(a, x3, 48);
      v128.store(a, x4, 64); v128.store(a, x5, 80); v128.store(a, x6, 96); v128.store(a, x7, 112);
    }
    for (; col < n; col += 8) {
      const a = acc + (<usize>col << 2);
      let x0 = v128.load(a), x1 = v128.load(a, 16);
      let row = v + (<usize>col << 2);
      for (let jj = 0; jj < nk; jj++) {
        const pj = load<f32>(p + (<usize>jj << 2));
        if (pj != 0) {
          const s = f32x4.splat(pj);
          x0 = madd(s, v128.load(row), x0); x1 = madd(s, v128.load(row, 16), x1);
        }
        row += vs;
      }
      v128.store(a, x0); v128.store(a, x1, 16);
    }
  } else {
    for (let jj = 0; jj < nk; jj++) {
      const pj = load<f32>(p + (<usize>jj << 2));
      if (pj == 0) continue;
      const row = v + <usize>jj * vs;
      for (let x = 0; x < n; x++) {
        const o = <usize>x << 2;
        store<f32>(acc + o, load<f32>(acc + o) + pj * load<f32>(row + o));
      }
    }
  }
}

export function f32AttentionDecodeDot(p: usize, bh0: i32, bh1: i32, q0: i32, q1: i32): void {
  const hq = pI32(p, P_HQ), hkv = pI32(p, P_HKV), lq = pI32(p, P_LQ);
  const dk = pI32(p, P_DK), dv = pI32(p, P_DV);
  const group = hq / hkv;
  const bk = pI32(p, P_BLOCK_K);
  const nv = ASC_FEATURE_SIMD ? pad8(dv) : dv;
  const scale = pF32(p, P_SCALE), softcap = pF32(p, P_SOFTCAP);
  const maskKind = pI32(p, P_MASK_KIND);
  const mks = maskKind == MASK_NONE ? <usize>0 : maskKeyStrideBytes(p);
  const lseBase = pPtr(p, P_LSE);
  const ninf = -Infinity as f32;
  if (q1 > lq) q1 = lq;
  const sc = (pPtr(p, P_SCRATCH) + 15) & ~15;
  const acc = sc + (<usize>bk << 2);

  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / hq, h = bh % hq, hk = h / group;
    const qh = headAddr(p, P_Q, b, h);
    const kh = headAddr(p, P_K, b, hk);
    const vh = headAddr(p, P_V, b, hk);
    const oh = headAddr(p, P_OUT, b, h);
    const qs = rowBytes(p, P_Q), ks = rowBytes(p, P_K);
    const vs = rowBytes(p, P_V), os = rowBytes(p, P_OUT);
    const kl = keyLength(p, b);

    for (let i = q0; i < q1; i++) {
      const qrow = qh + <usize>i * qs;
      const hi = rowLimit(p, b, i, kl);
      const mrow = maskKind == MASK_NONE ? <usize>0 : maskRow(p, b, h, i);
      let m = ninf, l: f32 = 0;
      memory.fill(acc, 0, <usize>nv << 2);
      for (let j0 = 0; j0 < hi; j0 += bk) {
        const nk = min(bk, hi - j0);
        dotScores(qrow, kh + <usize>j0 * ks, ks, dk, nk, scale, sc);
        if (softcap != 0) f32SoftcapTanh(sc, nk, softcap);
        if (maskKind != MASK_NONE) applyMaskRow(maskKind, sc, nk, mrow, j0, mks);
        let bmax = ninf;
        for (let jj = 0; jj < nk; jj++) {
          const s = load<f32>(sc + (<usize>jj << 2));
          if (s > bmax) bmax = s; // skips NaN; e^(NaN − m) below still makes the row NaN
        }
        const mNew = m > bmax ? m : bmax;
        const mSafe: f32 = mNew == ninf ? 0 : mNew;
        const a = expf_rr2p6(m - mSafe);
        if (a != 1) {
          let x = 0;
          if (ASC_FEATURE_SIMD) {
            const va = f32x4.splat(a);
            for (; x < nv; x += 4) v128.store(acc + (<usize>x << 2), f32x4.mul(v128.load(acc + (<usize>x << 2)), va));
          }
          for (; x < nv; x++) store<f32>(acc + (<usize>x << 2), load<f32>(acc + (<usize>x << 2)) * a);
        }
        // p_j = e^(s_j − m'), l += Σ p_j
        const sum = f32RaddstoreexpminusmaxRr2p6(sc, nk, mSafe);
        l = l * a + sum;
        m = mNew;
        // acc += Σ p_j v_j, skipping exact zeros (masked keys).
        pvRow(acc, sc, nk, vh + <usize>j0 * vs, vs, nv);
      }
      const dst = oh + <usize>i * os;
      if (l == 0) {
        memory.fill(dst, 0, <usize>dv << 2);
      } else {
        const inv: f32 = 1.0 / l;
        for (let x = 0; x < dv; x++) store<f32>(dst + (<usize>x << 2), load<f32>(acc + (<usize>x << 2)) * inv);
      }
      if (lseBase != 0) {
        store<f32>(lseBase + (<usize>(bh * lq + i) << 2), l == 0 ? ninf : m + <f32>Math.log(<f64>l));
      }
    }
  }
}
