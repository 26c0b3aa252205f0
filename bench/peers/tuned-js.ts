// Attention in plain JavaScript written with care (fflate's habit: the JS baseline
// deserves the same attention as the fast path):
// - each head's K and V are converted once to Float64Array scratch, and the query rows
//   are pre-scaled into it, so the inner loops read doubles (no float32→float64
//   conversion per element) from buffers allocated once per call;
// - 4 query rows per pass: each key and value row is loaded once for 4 queries;
// - the value accumulation runs along contiguous V rows (d innermost);
// - causal rows stop at their last visible key; a lone row (decode) has its own loop.
import type { RowSample } from "./types.js";
import { jsPeer } from "./js-peer.js";

export function tunedAttention(
  q: Float32Array, k: Float32Array, v: Float32Array,
  H: number, Hkv: number, Lq: number, Lkv: number, D: number, causal: boolean,
  sample?: RowSample,
): Float32Array {
  const out = new Float32Array(H * Lq * D);
  const scale = 1 / Math.sqrt(D);
  const off = Lkv - Lq;
  const group = H / Hkv;
  const kh64 = new Float64Array(Lkv * D);
  const vh64 = new Float64Array(Lkv * D);
  const qs = new Float64Array(4 * D);
  const s = new Float64Array(4 * Lkv);
  const acc = new Float64Array(4 * D);
  const heads = sample ? sample.heads : Array.from({ length: H }, (_, h) => h);
  const blocks: [number, number][] = sample ? sample.blocks : [[0, Lq]];
  let loaded = -1;
  for (const h of heads) {
    const kvh = Math.floor(h / group);
    if (kvh !== loaded) {
      kh64.set(k.subarray(kvh * Lkv * D, (kvh + 1) * Lkv * D));
      vh64.set(v.subarray(kvh * Lkv * D, (kvh + 1) * Lkv * D));
      loaded = kvh;
    }
    for (const [i0, n] of blocks) {
      let i = i0;
      // Four rows at a time.
      for (; i + 4 <= i0 + n; i += 4) {
        const qAt = (h * Lq + i) * D;
        for (let x = 0; x < 4 * D; x++) qs[x] = q[qAt + x]! * scale;
        const lim = causal ? Math.min(Lkv, i + 3 + off + 1) : Lkv;
        for (let j = 0; j < lim; j++) {
          const kj = j * D;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let d = 0; d < D; d++) {
            const kv = kh64[kj + d]!;
            s0 += qs[d]! * kv;
            s1 += qs[D + d]! * kv;
            s2 += qs[2 * D + d]! * kv;
            s3 += qs[3 * D + d]! * kv;
          }
          s[j] = s0; s[Lkv + j] = s1; s[2 * Lkv + j] = s2; s[3 * Lkv + j] = s3;
        }
        const sums = [0, 0, 0, 0];
        for (let r = 0; r < 4; r++) {
          const limR = causal ? Math.min(Lkv, i + r + off + 1) : Lkv;
          const o = r * Lkv;
          let m = -Infinity;
          for (let j = 0; j < limR; j++) if (s[o + j]! > m) m = s[o + j]!;
          let sum = 0;
          for (let j = 0; j < limR; j++) { const e = Math.exp(s[o + j]! - m); s[o + j] = e; sum += e; }
          for (let j = limR; j < lim; j++) s[o + j] = 0; // keys this row does not see
          sums[r] = sum;
        }
        acc.fill(0);
        for (let j = 0; j < lim; j++) {
          const p0 = s[j]!, p1 = s[Lkv + j]!, p2 = s[2 * Lkv + j]!, p3 = s[3 * Lkv + j]!;
          const vj = j * D;
          for (let d = 0; d < D; d++) {
            const vv = vh64[vj + d]!;
            acc[d] = acc[d]! + p0 * vv;
            acc[D + d] = acc[D + d]! + p1 * vv;
            acc[2 * D + d] = acc[2 * D + d]! + p2 * vv;
            acc[3 * D + d] = acc[3 * D + d]! + p3 * vv;
          }
        }
        for (let r = 0; r < 4; r++) {
          const inv = sums[r]! > 0 ? 1 / sums[r]! : 0;
          for (let d = 0; d < D; d++) out[qAt + r * D + d] = acc[r * D + d]! * inv;
        }
      }
      // The remaining rows (fewer than 4; decoding's single row) one at a time.
      for (; i < i0 + n; i++) {
        const qAt = (h * Lq + i) * D;
        for (let d = 0; d < D; d++) qs[d] = q[qAt + d]! * scale;
        const lim = causal ? Math.min(Lkv, i + off + 1) : Lkv;
        let m = -Infinity;
        for (let j = 0; j < lim; j++) {
          const kj = j * D;
          let s0 = 0;
          for (let d = 0; d < D; d++) s0 += qs[d]! * kh64[kj + d]!;
          s[j] = s0;
          if (s0 > m) m = s0;
        }
        let sum = 0;
        for (let d = 0; d < D; d++) acc[d] = 0;
        for (let j = 0; j < lim; j++) {
          const p = Math.exp(s[j]! - m);
          sum += p;
          const vj = j * D;
          for (let d = 0; d < D; d++) acc[d] = acc[d]! + p * vh64[vj + d]!;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        for (let d = 0; d < D; d++) out[qAt + d] = acc[d]! * inv;
      }
    }
  }
  return out;
}

export const tunedJs = jsPeer("tuned-js", "tuned JS", tunedAttention);
