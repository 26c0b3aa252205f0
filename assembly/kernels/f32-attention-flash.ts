// f32-attention-flash: fused attention with online softmax, tiled over query and key
// blocks; the Lq × Lkv score matrix never exists.
//
//   out[b, h, i, :] = Σ_j softmax_j(mask(softcap(scale · q_i·k_j))) · v_j
// with kv head hk = floor(h / (Hq / Hkv)) (GQA / MQA repeat-interleave). Shapes,
// strides and options come from the parameter block (../params.ts).
//
// Scores are kept in base 2 (FlashAttention's trick): with s' = log2(e)·s, e^(s − m) =
// 2^(s' − m'), so log2 e joins the query scale and each exponential is a cheaper exp2
// (f32-exp2-rr1-p6); softcap and additive masks are applied in the same units.
// Per query block of BQ rows (BQ a multiple of 8):
//   Qt ← (log2 e · scale · Q_block)ᵀ        Dk × BQ, zero columns past the last row
//   for each key block of ≤ BK keys below the block's largest row limit:
//     St ← K_block · Qt                      nk × BQ scores, transposed (gemm-nn 2×16)
//     softcap, mask, per-row block max;     lanes = 4 query rows at a time
//     m' = max(m, blockmax); α = 2^(m − m'); P = 2^(St − m'); l ← α·l + Σ P
//     acc ← α·acc + P·V_block                BQ × Dv (gemm-nn 2×16 again, P read transposed)
//   out ← acc / l;  lse ← m·ln 2 + ln l
// Scratch is O(BQ·(Dk + Dv + BK)), independent of the sequence lengths.
// Key blocks past a query block's last visible key (causal, key lengths) are skipped.
// A fully masked row (l = 0) gives exact zeros and lse = −∞. Masked keys have P = 0
// exactly; if the value head holds any non-finite number, P·V uses the zero-guarded
// tile so that 0·NaN cannot leak from a masked key. NaN in an unmasked score makes its
// row NaN (pmax skips NaN in the max, but e^(NaN − m) is NaN and reaches l and acc).
// ref: Milakov & Gimelshein, "Online normalizer calculation for softmax", arXiv:1805.02867;
//      Dao et al., "FlashAttention", arXiv:2205.14135 (the tiling).
import {
  P_HQ, P_HKV, P_LQ, P_LKV, P_DK, P_DV, P_Q, P_K, P_V, P_OUT, P_SCALE, P_SOFTCAP,
  P_MASK_KIND, P_LSE, P_SCRATCH, P_BLOCK_Q, P_BLOCK_K, P_GUARDS, MASK_NONE, MASK_BOOL, pI32, pPtr, pF32,
} from "../params";
import { headAddr, rowBytes, keyLength, rowLimit, maskRow, maskKeyStrideBytes } from "./attention-common";
import { gemmNn } from "./f32-gemm-nn";
import { exp2f_rr1p6, exp2f4_rr1p6, exp2Const } from "./f32-exp2-rr1-p6";
import { f32SoftcapTanh } from "./f32-softcap-tanh";
import { f32RowsAnyNonfinite } from "./f32-rows-any-nonfinite";

@inline function pad8(n: i32): i32 { return (n + 7) & ~7; }

const LOG2E: f32 = 1.44269504088896341;
const LN2: f64 = 0.693147180559945309;

// Whether value head (b, hk)'s first kl rows hold a non-finite value, read from or
// recorded in the P_GUARDS bytes when the call has them (each (head, query range) unit of
// the pool asks; one scan per head). Workers racing on a byte store the same value.
function vGuard(p: usize, b: i32, hk: i32, hkv: i32, vh: usize, kl: i32, dv: i32, vs: usize): bool {
  const guards = pPtr(p, P_GUARDS);
  if (guards == 0) return f32RowsAnyNonfinite(vh, kl, dv, vs);
  const slot = guards + <usize>(b * hkv + hk);
  let g = load<u8>(slot);
  if (g == 0) {
    g = f32RowsAnyNonfinite(vh, kl, dv, vs) ? 2 : 1;
    store<u8>(slot, g);
  }
  return g == 2;
}

// Scratch bytes for one call: Qt, St, acc, then m, l, row limits, mask row addresses, α.
export function flashScratchBytes(dk: i32, dv: i32, bq: i32, bk: i32): usize {
  return (<usize>dk * bq + <usize>bk * bq + <usize>bq * pad8(dv) + 5 * <usize>bq) * 4 + 16;
}

// The online-softmax update of one block: St (nk × BQ, row stride BQ) holds the scaled
// scores in base 2 (s' = log2 e · s); on return it holds P. softcap is in natural units
// (as the caller got it); m, l: BQ floats, base 2 like the scores; lim: BQ row limits;
// mrows: BQ mask row addresses. alpha (BQ floats) receives the factor for the
// accumulator rows.
function onlineSoftmaxBlock(
  st: usize, bq: i32, nk: i32, j0: i32,
  mp: usize, lp: usize, lim: usize, mrows: usize, alpha: usize,
  softcap: f32, maskKind: i32, mks: usize,
): void {
  const ninf = -Infinity as f32;
  const ld = <usize>bq << 2;
  if (softcap != 0) {
    // cap·tanh(s/cap) in base 2: (log2e·cap)·tanh(s'/(log2e·cap)).
    for (let jj = 0; jj < nk; jj++) f32SoftcapTanh(st + <usize>jj * ld, bq, softcap * LOG2E);
  }
  if (ASC_FEATURE_SIMD) {
    const x0 = exp2Const(0), x1 = exp2Const(1), x2 = exp2Const(2), x3 = exp2Const(3);
    const x4 = exp2Const(4), x5 = exp2Const(5), x6 = exp2Const(6), one = exp2Const(7), x8 = exp2Const(8);
    const vlog2e = f32x4.splat(LOG2E);
    const vninf = f32x4.splat(ninf);
    const zero = f32x4.splat(0);
    for (let c = 0; c < bq; c += 4) {
      const lane = <usize>c << 2;
      const hiv = v128.load(lim + lane);
      const mOld = v128.load(mp + lane);
      let bmax = vninf;
      let col = st + lane;
      // Smallest row limit of the 4 lanes: a block below it needs no masking.
      const lim2 = i32x4.min_s(hiv, i32x4.shuffle(hiv, hiv, 2, 3, 0, 1));
      const limMin = i32x4.extract_lane(i32x4.min_s(lim2, i32x4.shuffle(lim2, lim2, 1, 0, 3, 2)), 0);
      if (maskKind == MASK_NONE && j0 + nk <= limMin) {
        for (let jj = 0; jj < nk; jj++) {
          bmax = f32x4.pmax(bmax, v128.load(col));
          col += ld;
        }
      } else if (maskKind == MASK_NONE) {
        for (let jj = 0; jj < nk; jj++) {
          const masked = i32x4.ge_s(i32x4.splat(j0 + jj), hiv);
          const s = v128.bitselect(vninf, v128.load(col), masked);
          v128.store(col, s);
          bmax = f32x4.pmax(bmax, s);
          col += ld;
        }
      } else {
        const r0 = <usize>load<u32>(mrows + lane), r1 = <usize>load<u32>(mrows + lane, 4);
        const r2 = <usize>load<u32>(mrows + lane, 8), r3 = <usize>load<u32>(mrows + lane, 12);
        let ko = <usize>j0 * mks;
        for (let jj = 0; jj < nk; jj++) {
          let masked = i32x4.ge_s(i32x4.splat(j0 + jj), hiv);
          let s = v128.load(col);
          if (maskKind == MASK_BOOL) {
            let mv = i32x4.splat(<i32>load<u8>(r0 + ko));
            mv = i32x4.replace_lane(mv, 1, <i32>load<u8>(r1 + ko));
            mv = i32x4.replace_lane(mv, 2, <i32>load<u8>(r2 + ko));
            mv = i32x4.replace_lane(mv, 3, <i32>load<u8>(r3 + ko));
            masked = v128.or(masked, i32x4.eq(mv, zero));
          } else {
            let mv = f32x4.splat(load<f32>(r0 + ko));
            mv = f32x4.replace_lane(mv, 1, load<f32>(r1 + ko));
            mv = f32x4.replace_lane(mv, 2, load<f32>(r2 + ko));
            mv = f32x4.replace_lane(mv, 3, load<f32>(r3 + ko));
            s = f32x4.add(s, f32x4.mul(mv, vlog2e));
            masked = v128.or(masked, f32x4.eq(mv, vninf));
          }
          s = v128.bitselect(vninf, s, masked);
          v128.store(col, s);
          bmax = f32x4.pmax(bmax, s);
          col += ld;
          ko += mks;
        }
      }
      const mNew = f32x4.pmax(mOld, bmax);
      // Rows with nothing visible yet keep m = −∞; subtract 0 there instead of −∞ so that
      // e^(−∞ − 0) = 0 rather than e^(−∞ + ∞) = NaN.
      const mSafe = v128.andnot(mNew, f32x4.eq(mNew, vninf));
      const a = exp2f4_rr1p6(f32x4.sub(mOld, mSafe), x0, x1, x2, x3, x4, x5, x6, one, x8);
      let sum = zero;
      col = st + lane;
      for (let jj = 0; jj < nk; jj++) {
        const e = exp2f4_rr1p6(f32x4.sub(v128.load(col), mSafe), x0, x1, x2, x3, x4, x5, x6, one, x8);
        v128.store(col, e);
        sum = f32x4.add(sum, e);
        col += ld;
      }
      v128.store(lp + lane, madd0(v128.load(lp + lane), a, sum));
      v128.store(mp + lane, mNew);
      v128.store(alpha + lane, a);
    }
  } else {
    const mks4 = mks;
    for (let c = 0; c < bq; c++) {
      const lane = <usize>c << 2;
      const hi = load<i32>(lim + lane);
      const mOld = load<f32>(mp + lane);
      const row = maskKind == MASK_NONE ? <usize>0 : <usize>load<u32>(mrows + lane);
      let bmax = ninf;
      let q = st + lane;
      for (let jj = 0; jj < nk; jj++) {
        const j = j0 + jj;
        let s = load<f32>(q);
        let masked = j >= hi;
        if (maskKind == MASK_BOOL) {
          if (load<u8>(row + <usize>j * mks4) == 0) masked = true;
        } else if (maskKind != MASK_NONE) {
          const av = load<f32>(row + <usize>j * mks4);
          s += av * LOG2E;
          if (av == ninf) masked = true;
        }
        if (masked) s = ninf;
        store<f32>(q, s);
        if (s > bmax) bmax = s;
        q += ld;
      }
      const mNew = mOld > bmax ? mOld : bmax;
      const mSafe: f32 = mNew == ninf ? 0 : mNew;
      const a = exp2f_rr1p6(mOld - mSafe);
      let sum: f32 = 0;
      q = st + lane;
      for (let jj = 0; jj < nk; jj++) {
        const e = exp2f_rr1p6(load<f32>(q) - mSafe);
        store<f32>(q, e);
        sum += e;
        q += ld;
      }
      store<f32>(lp + lane, load<f32>(lp + lane) * a + sum);
      store<f32>(mp + lane, mNew);
      store<f32>(alpha + lane, a);
    }
  }
}

// l·α + s, rounded twice in every build (the relaxed FMA would make the three builds
// disagree in the last bit for no speed gain here).
@inline function madd0(l: v128, a: v128, s: v128): v128 {
  return f32x4.add(f32x4.mul(l, a), s);
}

// Multiplies accumulator rows by α where α ≠ 1 (most blocks leave the max alone).
function rescaleRows(acc: usize, ldAcc: usize, n: i32, alpha: usize, rows: i32): void {
  for (let c = 0; c < rows; c++) {
    const a = load<f32>(alpha + (<usize>c << 2));
    if (a == 1) continue;
    const row = acc + <usize>c * ldAcc;
    if (ASC_FEATURE_SIMD) {
      const va = f32x4.splat(a);
      for (let x = 0; x < n; x += 4) {
        const q = row + (<usize>x << 2);
        v128.store(q, f32x4.mul(v128.load(q), va));
      }
    } else {
      for (let x = 0; x < n; x++) {
        const q = row + (<usize>x << 2);
        store<f32>(q, load<f32>(q) * a);
      }
    }
  }
}

// Runs the heads bh in [bh0, bh1) (bh = b·Hq + h) over query rows [q0, q1).
export function f32AttentionFlash(p: usize, bh0: i32, bh1: i32, q0: i32, q1: i32): void {
  const hq = pI32(p, P_HQ), hkv = pI32(p, P_HKV), lq = pI32(p, P_LQ), lkv = pI32(p, P_LKV);
  const dk = pI32(p, P_DK), dv = pI32(p, P_DV);
  const group = hq / hkv;
  const bq = pI32(p, P_BLOCK_Q), bk = pI32(p, P_BLOCK_K);
  const dvp = pad8(dv);
  const softcap = pF32(p, P_SOFTCAP);
  const scale = pF32(p, P_SCALE) * LOG2E; // base-2 scores
  const maskKind = pI32(p, P_MASK_KIND);
  const mks = maskKind == MASK_NONE ? <usize>0 : maskKeyStrideBytes(p);
  const lseBase = pPtr(p, P_LSE);
  if (q1 > lq) q1 = lq;

  // Scratch layout (see flashScratchBytes).
  const qt = (pPtr(p, P_SCRATCH) + 15) & ~15;
  const st = qt + (<usize>dk * bq << 2);
  const acc = st + (<usize>bk * bq << 2);
  const mp = acc + (<usize>bq * dvp << 2);
  const lp = mp + (<usize>bq << 2);
  const lim = lp + (<usize>bq << 2);
  const mrows = lim + (<usize>bq << 2);
  const alpha = mrows + (<usize>bq << 2);
  const ldAcc = <usize>dvp << 2;
  const ldSt = <usize>bq << 2;

  for (let bh = bh0; bh < bh1; bh++) {
    const b = bh / hq, h = bh % hq, hk = h / group;
    const qh = headAddr(p, P_Q, b, h);
    const kh = headAddr(p, P_K, b, hk);
    const vh = headAddr(p, P_V, b, hk);
    const oh = headAddr(p, P_OUT, b, h);
    const qs = rowBytes(p, P_Q), ks = rowBytes(p, P_K);
    const vs = rowBytes(p, P_V), os = rowBytes(p, P_OUT);
    const kl = keyLength(p, b);
    // Only the value rows any query can see matter: guard P·V if one is not finite.
    const guard = vGuard(p, b, hk, hkv, vh, kl, dv, vs);

    for (let i0 = q0; i0 < q1; i0 += bq) {
      const nq = min(bq, q1 - i0);
      // Row limits, mask rows, running max and sum; the largest limit bounds the keys.
      let kEnd = 0;
      for (let c = 0; c < bq; c++) {
        const lane = <usize>c << 2;
        let hi = 0;
        if (c < nq) {
          hi = rowLimit(p, b, i0 + c, kl);
          if (hi > kEnd) kEnd = hi;
        }
        store<i32>(lim + lane, hi);
        store<f32>(mp + lane, -Infinity);
        store<f32>(lp + lane, 0);
        if (maskKind != MASK_NONE) store<u32>(mrows + lane, <u32>maskRow(p, b, h, i0 + (c < nq ? c : 0)));
      }
      // Qt = (log2 e · scale · Q_block)ᵀ, zero-padded to BQ columns.
      for (let d = 0; d < dk; d++) {
        const dst = qt + (<usize>d * bq << 2);
        let src = qh + <usize>i0 * qs + (<usize>d << 2);
        for (let c = 0; c < nq; c++) {
          store<f32>(dst + (<usize>c << 2), load<f32>(src) * scale);
          src += qs;
        }
        for (let c = nq; c < bq; c++) store<f32>(dst + (<usize>c << 2), 0);
      }
      memory.fill(acc, 0, <usize>bq * ldAcc);

      for (let j0 = 0; j0 < kEnd; j0 += bk) {
        const nk = min(bk, kEnd - j0);
        // St (nk × BQ) = K rows j0.. (broadcast) · Qt
        gemmNn(nk, bq, dk, kh + <usize>j0 * ks, ks, 4, qt, ldSt, st, ldSt, false, false);
        onlineSoftmaxBlock(st, bq, nk, j0, mp, lp, lim, mrows, alpha, softcap, maskKind, mks);
        rescaleRows(acc, ldAcc, dvp, alpha, nq);
        // acc (nq × Dv) += Pᵀ (read through St with row stride 4, column stride BQ) · V rows j0..
        gemmNn(nq, dvp, nk, st, 4, ldSt, vh + <usize>j0 * vs, vs, acc, ldAcc, true, guard);
      }

      // out = acc / l; fully masked rows (l = 0) are exact zeros.
      for (let c = 0; c < nq; c++) {
        const lane = <usize>c << 2;
        const l = load<f32>(lp + lane);
        const dst = oh + <usize>(i0 + c) * os;
        const src = acc + <usize>c * ldAcc;
        if (l == 0) {
          memory.fill(dst, 0, <usize>dv << 2);
        } else {
          const inv: f32 = 1.0 / l;
          let x = 0;
          if (ASC_FEATURE_SIMD) {
            const vi = f32x4.splat(inv);
            for (; x + 4 <= dv; x += 4) v128.store(dst + (<usize>x << 2), f32x4.mul(v128.load(src + (<usize>x << 2)), vi));
          }
          for (; x < dv; x++) store<f32>(dst + (<usize>x << 2), load<f32>(src + (<usize>x << 2)) * inv);
        }
        if (lseBase != 0) {
          const lse: f32 = l == 0 ? -Infinity as f32 : <f32>(<f64>load<f32>(mp + lane) * LN2 + Math.log(<f64>l));
          store<f32>(lseBase + (<usize>((bh * lq) + i0 + c) << 2), lse);
        }
      }
    }
  }
}
