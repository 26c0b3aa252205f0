// The seed's models end to end on every build: a BERT-style padded encoder, GPT-2-style
// decoding through a KVCache, and Transformer-XL-style segments with memory and a
// relative-position bias, each against the float64 reference (test/util/models.ts).
import { beforeAll, describe, expect, test } from "vitest";
import { KVCache, MultiHeadAttention, attention, attentionReference, onnxAttention, selfAttention, weightsFromPyTorch } from "../src/index.js";
import type { Float32Tensor } from "../src/types.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { Rng } from "./util/rng.js";
import { compare } from "./util/compare.js";
import { mhaReference, project, randomWeights } from "./util/models.js";

/** Rows [from, to) of every batch of x [B, L, E]. */
function rows(x: Float32Tensor, from: number, to: number): Float32Tensor {
  const [B, L, E] = x.dims as [number, number, number];
  const out = new Float32Array(B * (to - from) * E);
  for (let b = 0; b < B; b++) out.set(x.data.subarray((b * L + from) * E, (b * L + to) * E), b * (to - from) * E);
  return { data: out, dims: [B, to - from, E] };
}

for (const build of runnableBuilds()) {
  describe(`models (${build})`, () => {
    beforeAll(() => useBuild(build));

    test("BERT-style encoder: right-padded batch; keyLengths and the dense mask agree; padded rows finite", () => {
      const rng = new Rng(1);
      const B = 3, L = 37, E = 48, H = 4, D = 12;
      const w = randomWeights(rng, E, H, H, D, E);
      const lengths = [37, 20, 5];
      const x = { data: rng.uniform(B * L * E, -1, 1), dims: [B, L, E] };
      for (let b = 0; b < B; b++) x.data.fill(0, (b * L + lengths[b]!) * E, (b + 1) * L * E); // padding tokens
      const byLengths = selfAttention(x, w, { numHeads: H, keyLengths: lengths });
      const mask = new Uint8Array(B * L);
      for (let b = 0; b < B; b++) mask.fill(1, b * L, b * L + lengths[b]!);
      const byMask = selfAttention(x, w, { numHeads: H, mask: { data: mask, dims: [B, 1, 1, L] } });
      expect(byLengths.dims).toEqual([B, L, E]);
      const ref = mhaReference(x, x, w, H, H, { keyLengths: lengths });
      expect(compare(byLengths.data, ref.y, ref.bound), `bound ${ref.bound}`).toBeNull();
      expect(compare(byMask.data, byLengths.data, 2 * ref.bound)).toBeNull();
      for (const v of byLengths.data) expect(Number.isFinite(v)).toBe(true);
    });

    test("PyTorch nn.MultiheadAttention weights load through weightsFromPyTorch (x·Wᵀ convention)", () => {
      const rng = new Rng(2);
      const E = 16, H = 2, B = 1, L = 6;
      const inW = rng.uniform(3 * E * E, -0.3, 0.3), inB = rng.uniform(3 * E, -0.1, 0.1);
      const outW = rng.uniform(E * E, -0.3, 0.3), outB = rng.uniform(E, -0.1, 0.1);
      const x = { data: rng.uniform(B * L * E, -1, 1), dims: [B, L, E] };
      const y = selfAttention(x, weightsFromPyTorch({
        in_proj_weight: { data: inW, dims: [3 * E, E] }, in_proj_bias: { data: inB, dims: [3 * E] },
        out_proj_weight: { data: outW, dims: [E, E] }, out_proj_bias: { data: outB, dims: [E] },
      }), { numHeads: H });
      // PyTorch's own formula, written out: q = x·W_qᵀ + b_q with W_q = in_proj_weight[0:E], …
      const lin = (W: Float32Array, r0: number, bias: Float32Array, b0: number, X: Float32Array, n: number, K: number) => {
        const out = new Float32Array(n * E);
        for (let i = 0; i < n; i++) for (let o = 0; o < E; o++) {
          let s = bias[b0 + o]!;
          for (let k = 0; k < K; k++) s += X[i * K + k]! * W[(r0 + o) * K + k]!;
          out[i * E + o] = s;
        }
        return out;
      };
      const q = lin(inW, 0, inB, 0, x.data, L, E), k = lin(inW, E, inB, E, x.data, L, E), v = lin(inW, 2 * E, inB, 2 * E, x.data, L, E);
      const o = attentionReference({ data: q, dims: [B, L, E] }, { data: k, dims: [B, L, E] }, { data: v, dims: [B, L, E] }, { numHeads: H });
      const want = lin(outW, 0, outB, 0, o.data, L, E);
      expect(compare(y.data, want, 1e-5)).toBeNull();
    });

    test("GPT-2-style decoding: prefill, then token by token through KVCache equals one causal pass (1e-5), and onnxAttention with past/present", () => {
      const rng = new Rng(3);
      const B = 2, E = 32, Hq = 4, Hkv = 2, D = 8, P = 9, T = 24;
      const w = randomWeights(rng, E, Hq, Hkv, D, E);
      const x = { data: rng.uniform(B * T * E, -1, 1), dims: [B, T, E] };
      const layer = new MultiHeadAttention(w, { numHeads: Hq, numKvHeads: Hkv });
      const full = layer.forward(x, { causal: true });
      const ref = mhaReference(x, x, w, Hq, Hkv, { causal: true });
      expect(compare(full.data, ref.y, ref.bound)).toBeNull();
      const cache = new KVCache({ numKvHeads: Hkv, headDim: D, capacity: T, batch: B });
      const pre = layer.forward(rows(x, 0, P), { cache, causal: true });
      expect(cache.length).toBe(P);
      expect(compare(pre.data, rows({ data: full.data, dims: [B, T, E] }, 0, P).data, 1e-5)).toBeNull();
      for (let t = P; t < T; t++) {
        const step = layer.forward(rows(x, t, t + 1), { cache, causal: true });
        expect(cache.length).toBe(t + 1);
        const want = rows({ data: full.data, dims: [B, T, E] }, t, t + 1).data;
        expect(compare(step.data, want, 1e-5), `step ${t}`).toBeNull();
      }
      // The same decode step as ONNX Attention with past_key/past_value (4D, GQA).
      const qkv = project(x.data, B * T, E, w);
      const heads = (a: Float32Array, H: number, from: number, to: number) => {
        const out = new Float32Array(B * H * (to - from) * D);
        for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = from; l < to; l++) {
          out.set(a.subarray(((b * T + l) * H + h) * D, ((b * T + l) * H + h + 1) * D), ((b * H + h) * (to - from) + l - from) * D);
        }
        return out;
      };
      const t = T - 1;
      const onnx = onnxAttention({
        Q: { data: heads(qkv.q, Hq, t, t + 1), dims: [B, Hq, 1, D] },
        K: { data: heads(qkv.k, Hkv, t, t + 1), dims: [B, Hkv, 1, D] },
        V: { data: heads(qkv.v, Hkv, t, t + 1), dims: [B, Hkv, 1, D] },
        past_key: { data: heads(qkv.k, Hkv, 0, t), dims: [B, Hkv, t, D] },
        past_value: { data: heads(qkv.v, Hkv, 0, t), dims: [B, Hkv, t, D] },
      }, { is_causal: 1 });
      const viaCache = cache.attention({ data: heads(qkv.q, Hq, t, t + 1), dims: [B, Hq, 1, D] }, { causal: true });
      expect(compare(onnx.Y!.data as Float32Array, viaCache.data, 1e-5)).toBeNull();
      expect(compare(onnx.present_key!.data as Float32Array, heads(qkv.k, Hkv, 0, T), 1e-5)).toBeNull();
      layer.dispose();
      cache.dispose();
    });

    test("Transformer-XL-style: segments with memory via truncate, relative-position bias as an additive per-head mask", () => {
      const rng = new Rng(4);
      const B = 1, E = 24, H = 3, D = 8, L = 10, M = 14, segments = 4;
      const w = randomWeights(rng, E, H, H, D, E);
      const layer = new MultiHeadAttention(w, { numHeads: H });
      const cache = new KVCache({ numKvHeads: H, headDim: D, capacity: M + L, batch: B });
      const x = { data: rng.uniform(B * L * segments * E, -1, 1), dims: [B, L * segments, E] };
      const slope = [0.5, 0.25, 0.125]; // per-head linear bias on the distance (ALiBi-like)
      for (let s = 0; s < segments; s++) {
        const seg = rows(x, s * L, (s + 1) * L);
        const memStart = Math.max(0, s * L - M);
        const Lkv = s * L - memStart + L; // memory + this segment
        const bias = new Float32Array(H * L * Lkv);
        for (let h = 0; h < H; h++) for (let i = 0; i < L; i++) for (let j = 0; j < Lkv; j++) {
          const qi = s * L + i, kj = memStart + j;
          bias[(h * L + i) * Lkv + j] = -slope[h]! * Math.abs(qi - kj);
        }
        const mask = { data: bias, dims: [1, H, L, Lkv] };
        const y = layer.forward(seg, { cache, causal: true, mask });
        expect(cache.length).toBe(Lkv);
        // Reference: queries of this segment against [memory; segment] explicitly.
        const ctx = rows(x, memStart, (s + 1) * L);
        const ref = mhaReference(seg, ctx, w, H, H, { causal: true, mask });
        expect(compare(y.data, ref.y, ref.bound), `segment ${s}`).toBeNull();
        cache.truncate(M);
        expect(cache.length).toBe(Math.min(M, Lkv));
      }
      layer.dispose();
      cache.dispose();
    });

    test("attention over a KVCache equals attention() over the same keys (causal bottom-right, GQA, 3D q)", () => {
      const rng = new Rng(5);
      const B = 2, Hq = 6, Hkv = 2, D = 16, n1 = 13, n2 = 5;
      const cache = new KVCache({ numKvHeads: Hkv, headDim: D, capacity: 40, batch: B });
      const k = rng.uniform(B * Hkv * (n1 + n2) * D, -1, 1), v = rng.uniform(B * Hkv * (n1 + n2) * D, -1, 1);
      const part = (a: Float32Array, from: number, to: number) => {
        const out = new Float32Array(B * Hkv * (to - from) * D);
        for (let bh = 0; bh < B * Hkv; bh++) out.set(a.subarray((bh * (n1 + n2) + from) * D, (bh * (n1 + n2) + to) * D), bh * (to - from) * D);
        return { data: out, dims: [B, Hkv, to - from, D] };
      };
      cache.append(part(k, 0, n1), part(v, 0, n1));
      cache.append(part(k, n1, n1 + n2), part(v, n1, n1 + n2));
      const q = { data: rng.uniform(B * Hq * n2 * D, -1, 1), dims: [B, Hq, n2, D] };
      const got = cache.attention(q, { causal: true, returnLse: true });
      const want = attention(q, { data: k, dims: [B, Hkv, n1 + n2, D] }, { data: v, dims: [B, Hkv, n1 + n2, D] }, { causal: true, returnLse: true });
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect(Array.from(got.lse!.data)).toEqual(Array.from(want.lse!.data));
      // 3D q [B, Lq, Hq·D]
      const q3 = new Float32Array(q.data.length);
      for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let l = 0; l < n2; l++) {
        q3.set(q.data.subarray(((b * Hq + h) * n2 + l) * D, ((b * Hq + h) * n2 + l + 1) * D), ((b * n2 + l) * Hq + h) * D);
      }
      const got3 = cache.attention({ data: q3, dims: [B, n2, Hq * D] }, { numHeads: Hq, causal: true });
      expect(got3.dims).toEqual([B, n2, Hq * D]);
      for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let l = 0; l < n2; l++) for (let d = 0; d < D; d++) {
        expect(got3.data[((b * n2 + l) * Hq + h) * D + d]).toBe(want.data[((b * Hq + h) * n2 + l) * D + d]);
      }
      cache.dispose();
    });
  });
}
