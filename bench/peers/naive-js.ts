// The attention a user would write in plain JavaScript: per query row, an array of
// scores, Math.max / map / reduce for the softmax, then out[d] = Σ_j p_j · v[j][d] with
// the key index innermost (V read down its columns). No blocking, no scratch reuse.
// It is the baseline the "≥ 25× the naive JS loop" is measured against.
import type { RowSample } from "./types.js";
import { jsPeer } from "./js-peer.js";

export function naiveAttention(
  q: Float32Array, k: Float32Array, v: Float32Array,
  H: number, Hkv: number, Lq: number, Lkv: number, D: number, causal: boolean,
  sample?: RowSample,
): Float32Array {
  const out = new Float32Array(H * Lq * D);
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  const heads = sample ? sample.heads : Array.from({ length: H }, (_, h) => h);
  const blocks: [number, number][] = sample ? sample.blocks : [[0, Lq]];
  for (const h of heads) {
    const kh = Math.floor(h / group);
    for (const [i0, n] of blocks) {
      for (let i = i0; i < i0 + n; i++) {
        const scores = [];
        for (let j = 0; j < Lkv; j++) {
          if (causal && j > i + Lkv - Lq) {
            scores.push(-Infinity);
            continue;
          }
          let s = 0;
          for (let d = 0; d < D; d++) s += q[(h * Lq + i) * D + d]! * k[(kh * Lkv + j) * D + d]!;
          scores.push(s * scale);
        }
        const max = scores.reduce((a, b) => Math.max(a, b), -Infinity);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < Lkv; j++) acc += e[j]! * v[(kh * Lkv + j) * D + d]!;
          out[(h * Lq + i) * D + d] = acc / sum;
        }
      }
    }
  }
  return out;
}

export const naiveJs = jsPeer("naive-js", "naive JS", naiveAttention);
