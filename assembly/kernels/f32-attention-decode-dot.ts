// f32-attention-decode-dot: attention for a few query rows (decoding: one new token
// against a cache), one row at a time, keys read straight from K with dot products.
//
// Same semantics and parameter block as f32-attention-flash. For one row there is no
// query block to amortise a transposed copy of Q over, and the work is bound by reading
// K and V once; so per key block of ≤ BK keys:
//   s_j = scale · q·k_j                      SIMD dot products over Dk, one key row at a time
//   softcap, dense mask (keys past the row limit are never read)
//   m' = max(m, max s); α = e^(m − m'); p_j = e^(s_j − m'); l ← α·l + Σ p
//   acc ← α·acc + Σ_j p_j·v_j                SIMD over Dv; a key with p_j = 0 is skipped,
//                                            so a masked key's NaN value never leaks
// out = acc / l (a fully masked row gives zeros, lse −∞).
// Scratch: BK scores, 4·BK partial dot products, Dv accumulators.
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

// Scratch: BK scores, 4·BK partial sums (SIMD dot products), Dv accumulators.
export function decodeScratchBytes(dv: i32, bk: i32): usize {
  return (<usize>bk * 5 + <usize>pad8(dv)) * 4 + 16;
}

// s[jj] = scale · q·k_{j0+jj} for jj < nk; `part` holds 4·nk floats of scratch.
// SIMD: one key row at a time, start to end, so K is read as one sequential stream that
// the hardware prefetcher follows. (Reading 4 rows side by side, as an earlier version
// did, ran the gpt2-decode case with cold caches ~2.4x slower: 0.95 ms before, 0.39 ms
// after, in runs minutes apart with the streaming floor at 0.26-0.33 ms.) Each row leaves
// a 4-lane partial sum; a second pass adds the lanes of 4 keys at once with a transpose.
export function dotScores(q: usize, k: usize, ks: usize, dk: i32, nk: i32, scale: f32, s: usize, part: usize): void {
  let jj = 0;
  if (ASC_FEATURE_SIMD) {
    const b16 = <usize>(dk & ~15) << 2, b4 = <usize>(dk & ~3) << 2;
    let row = k;
    for (let j = 0; j < nk; j++) {
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let o: usize = 0;
      for (; o < b16; o += 64) {
        a0 = madd(v128.load(q + o), v128.load(row + o), a0);
        a1 = madd(v128.load(q + o, 16), v128.load(row + o, 16), a1);
        a2 = madd(v128.load(q + o, 32), v128.load(row + o, 32), a2);
        a3 = madd(v128.load(q + o, 48), v128.load(row + o, 48), a3);
      }
      for (; o < b4; o += 16) a0 = madd(v128.load(q + o), v128.load(row + o), a0);
      let r = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
      if (o < <usize>dk << 2) {
        let t: f32 = 0;
        for (; o < <usize>dk << 2; o += 4) t += load<f32>(q + o) * load<f32>(row + o);
        r = f32x4.add(r, f32x4.replace_lane(f32x4.splat(0), 0, t));
      }
      v128.store(part + (<usize>j << 4), r);
      row += ks;
    }
    // Transpose-and-add: lane t of the result is the horizontal sum of key jj + t's partial.
    const vs = f32x4.splat(scale);
    for (; jj + 4 <= nk; jj += 4) {
      const pp = part + (<usize>jj << 4);
      const a0 = v128.load(pp), a1 = v128.load(pp, 16), a2 = v128.load(pp, 32), a3 = v128.load(pp, 48);
      const t0 = f32x4.add(i32x4.shuffle(a0, a1, 0, 4, 1, 5), i32x4.shuffle(a0, a1, 2, 6, 3, 7));
      const t1 = f32x4.add(i32x4.shuffle(a2, a3, 0, 4, 1, 5), i32x4.shuffle(a2, a3, 2, 6, 3, 7));
      const r = f32x4.add(i64x2.shuffle(t0, t1, 0, 2), i64x2.shuffle(t0, t1, 1, 3));
      v128.store(s + (<usize>jj << 2), f32x4.mul(r, vs));
    }
    for (; jj < nk; jj++) {
      const a = v128.load(part + (<usize>jj << 4));
      const t = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
      store<f32>(s + (<usize>jj << 2), t * scale);
    }
    return;
  }
  for (; jj < nk; jj++) {
    const kr = k + <usize>jj * ks;
    let a: f32 = 0;
    for (let d = 0; d < dk; d++) a += load<f32>(q + (<usize>d << 2)) * load<f32>(kr + (<usize>d << 2));
    store<f32>(s + (<usize>jj << 2), a * scale);
  }
}

// acc[0..n) += Σ_jj p_jj · v_{jj} over nk value rows (row jj at v + jj·vs), skipping
// p = 0 exactly (a masked key's value row may hold NaN). SIMD: n is a multiple of 8 (the
// padding lanes hold junk). Like dotScores, one whole value row at a time (a sequential
// stream); for n = 64 (the common head size) the row's 16 vectors of accumulator stay in
// registers across all keys, otherwise the accumulator is read and written in L1 per row.
function pvRow(acc: usize, p: usize, nk: i32, v: usize, vs: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    let row = v;
    if (n == 64) {
      const a = acc;
      let x0 = v128.load(a), x1 = v128.load(a, 16), x2 = v128.load(a, 32), x3 = v128.load(a, 48);
      let x4 = v128.load(a, 64), x5 = v128.load(a, 80), x6 = v128.load(a, 96), x7 = v128.load(a, 112);
      let y0 = v128.load(a, 128), y1 = v128.load(a, 144), y2 = v128.load(a, 160), y3 = v128.load(a, 176);
      let y4 = v128.load(a, 192), y5 = v128.load(a, 208), y6 = v128.load(a, 224), y7 = v128.load(a, 240);
      for (let jj = 0; jj < nk; jj++) {
        const pj = load<f32>(p + (<usize>jj << 2));
        if (pj != 0) {
          const s = f32x4.splat(pj);
          x0 = madd(s, v128.load(row), x0); x1 = madd(s, v128.load(row, 16), x1);
          x2 = madd(s, v128.load(row, 32), x2); x3 = madd(s, v128.load(row, 48), x3);
          x4 = madd(s, v128.load(row, 64), x4); x5 = madd(s, v128.load(row, 80), x5);
          x6 = madd(s, v128.load(row, 96), x6); x7 = madd(s, v128.load(row, 112), x7);
          y0 = madd(s, v128.load(row, 128), y0); y1 = madd(s, v128.load(row, 144), y1);
          y2 = madd(s, v128.load(row, 160), y2); y3 = madd(s, v128.load(row, 176), y3);
          y4 = madd(s, v128.load(row, 192), y4); y5 = madd(s, v128.load(row, 208), y5);
          y6 = madd(s, v128.load(row, 224), y6); y7 = madd(s, v128.load(row, 240), y7);
        }
        row += vs;
      }
      v128.store(a, x0); v128.store(a, x1, 16); v128.store(a, x2, 32); v128.store(a, x3, 48);
      v128.store(a, x4, 64); v128.store(a, x5, 80); v128.store(a, x6, 96); v128.store(a, x7, 112);
      v128.store(a, y0, 128); v128.store(a, y1, 144); v128.store(a, y2, 160); v128.store(a, y3, 176);
      v128.store(a, y4, 192); v128.store(a, y5, 208); v128.store(a, y6, 224); v128.store(a, y7, 240);
      return;
    }
    const end = <usize>n << 2;
    for (let jj = 0; jj < nk; jj++) {
      const pj = load<f32>(p + (<usize>jj << 2));
      if (pj != 0) {
        const s = f32x4.splat(pj);
        for (let o: usize = 0; o < end; o += 32) {
          v128.store(acc + o, madd(s, v128.load(row + o), v128.load(acc + o)));
          v128.store(acc + o, madd(s, v128.load(row + o, 16), v128.load(acc + o, 16)), 16);
        }
      }
      row += vs;
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
  const part = sc + (<usize>bk << 2);
  const acc = part + (<usize>bk << 4);

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
        dotScores(qrow, kh + <usize>j0 * ks, ks, dk, nk, scale, sc, part);
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
