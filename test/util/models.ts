// Helpers for the model scenarios: random weights, and the float64 reference of the
// whole multi-head attention (projections in float64 rounded to float32 as the library
// stores them, attention with attentionReference, output projection in float64).
import type { AttentionWeights } from "../../src/multi-head-attention.js";
import type { AttentionOptions, Float32Tensor } from "../../src/types.js";
import { attentionReference } from "../../src/attention.js";
import { matmulReference } from "../../src/reference.js";
import { Rng } from "./rng.js";
import { matmulBound, mhaBound } from "./tolerance.js";
import { maxAbs, maxRowNorm } from "./compare.js";

export function randomWeights(rng: Rng, E: number, Hq: number, Hkv: number, D: number, Eout: number): AttentionWeights {
  const s = 1 / Math.sqrt(E);
  const m = (r: number, c: number) => ({ data: rng.uniform(r * c, -s, s), dims: [r, c] });
  const v = (n: number) => ({ data: rng.uniform(n, -0.1, 0.1), dims: [n] });
  return {
    wq: m(E, Hq * D), wk: m(E, Hkv * D), wv: m(E, Hkv * D), wo: m(Hq * D, Eout),
    bq: v(Hq * D), bk: v(Hkv * D), bv: v(Hkv * D), bo: v(Eout),
  };
}

export interface Projected { q: Float32Array; k: Float32Array; v: Float32Array }

export function project(x: Float32Array, M: number, E: number, w: AttentionWeights): Projected {
  return {
    q: matmulReference(x, M, E, E, w.wq.data, w.wq.dims[1]!, w.bq?.data ?? null),
    k: matmulReference(x, M, E, E, w.wk.data, w.wk.dims[1]!, w.bk?.data ?? null),
    v: matmulReference(x, M, E, E, w.wv.data, w.wv.dims[1]!, w.bv?.data ?? null),
  };
}

/** Reference forward for queries from xq [B, Lq, E] against keys/values from xkv [B, Lkv, E]. */
export function mhaReference(
  xq: Float32Tensor, xkv: Float32Tensor, w: AttentionWeights, Hq: number, Hkv: number, options: AttentionOptions,
): { y: Float32Array; bound: number } {
  const [B, Lq, E] = xq.dims as [number, number, number];
  const Lkv = xkv.dims[1]!;
  const D = w.wq.dims[1]! / Hq;
  const pq = project(xq.data, B * Lq, E, w), pkv = project(xkv.data, B * Lkv, E, w);
  const o = attentionReference(
    { data: pq.q, dims: [B, Lq, Hq * D] }, { data: pkv.k, dims: [B, Lkv, Hkv * D] }, { data: pkv.v, dims: [B, Lkv, Hkv * D] },
    { ...options, numHeads: Hq, numKvHeads: Hkv },
  );
  const Eout = w.wo!.dims[1]!;
  const y = matmulReference(o.data, B * Lq, Hq * D, Hq * D, w.wo!.data, Eout, w.bo?.data ?? null);
  let colAbsSum = 0;
  for (let c = 0; c < Eout; c++) {
    let s = 0;
    for (let r = 0; r < Hq * D; r++) s += Math.abs(w.wo!.data[r * Eout + c]!);
    colAbsSum = Math.max(colAbsSum, s);
  }
  const bound = mhaBound({
    Dk: D, Lkv, scale: options.scale ?? 1 / Math.sqrt(D), softcap: options.softcap ?? 0,
    maxQ: maxRowNorm(pq.q, D), maxK: maxRowNorm(pkv.k, D), maxV: maxAbs(pkv.v),
    dq: matmulBound(xq.data, B * Lq, E, w.wq.data, Hq * D, w.bq?.data),
    dk: matmulBound(xkv.data, B * Lkv, E, w.wk.data, Hkv * D, w.bk?.data),
    dv: matmulBound(xkv.data, B * Lkv, E, w.wv.data, Hkv * D, w.bv?.data),
    outProj: { bound: matmulBound(o.data, B * Lq, Hq * D, w.wo!.data, Eout, w.bo?.data), colAbsSum },
  });
  return { y, bound };
}
