// MultiHeadAttention and selfAttention: the seed's formula end to end,
//   Q = X·W_Q + b_Q,  K = X·W_K + b_K,  V = X·W_V + b_V        (x·W: W is [E_in, E_out])
//   O = attention(Q, K, V) per head,  Y = O·W_O + b_O
// as in Vaswani et al. (2017), with GQA head counts, masks, key lengths and a KV cache.
//
// On a wasm build the weights live in wasm memory (W_Q | W_K | W_V side by side, so one
// GEMM projects all three), the projections run on the SIMD GEMM tile, the fused
// attention reads Q, K and V where the projection wrote them, and only X goes in and Y
// comes out. On the 'js' build the same steps run in float64 TypeScript.
import type { AttentionOptions, Float32Tensor, Tensor } from "./types.js";
import type { Layout, WasmEngine } from "./abi.js";
import { requireState } from "./state.js";
import { checkFloat32, checkInt, checkOptionNames, checkTensor, describe, shapeString } from "./check.js";
import { withOptions, type Plan } from "./plan.js";
import { matmulReference } from "./reference.js";
import { runReference } from "./attention.js";
import { KVCache } from "./kv-cache.js";

/** Projection weights, each applied as x·W (W is [E_in, E_out]); biases are [E_out]. */
export interface AttentionWeights {
  wq: Float32Tensor; wk: Float32Tensor; wv: Float32Tensor; wo?: Float32Tensor;
  bq?: Float32Tensor; bk?: Float32Tensor; bv?: Float32Tensor; bo?: Float32Tensor;
}

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** GQA/MQA; default numHeads. */
  numKvHeads?: number;
  /** Default 1/√Dk. */
  scale?: number;
  /** Logit soft-capping (0 = off). */
  softcap?: number;
}

export interface ForwardOptions {
  causal?: boolean;
  causalOffset?: number;
  /** Broadcast to [B, Hq, L, Lkv] (Lkv = cache length after the append, or L). */
  mask?: AttentionOptions["mask"];
  keyLengths?: AttentionOptions["keyLengths"];
  /** Append this call's keys and values to the cache and attend over all of it. */
  cache?: KVCache;
  returnWeights?: boolean;
}

export interface ForwardResult {
  /** [B, L, E_out]: E_out is W_O's columns, or Hq·Dv without W_O. */
  data: Float32Array;
  dims: number[];
  weights?: { data: Float32Array; dims: number[] };
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

interface Shapes { E: number; Hq: number; Hkv: number; Dk: number; Dv: number; Eout: number; Nqkv: number }

function checkWeights(fn: string, w: unknown, o: MultiHeadAttentionOptions): Shapes {
  if (w === null || typeof w !== "object") throw new TypeError(`${fn}: weights must be an object { wq, wk, wv, wo?, bq?, bk?, bv?, bo? }, got ${describe(w)}`);
  checkOptionNames(fn, "weight", w, ["wq", "wk", "wv", "wo", "bq", "bk", "bv", "bo"]);
  const ws = w as AttentionWeights;
  const mat = (name: keyof AttentionWeights) => {
    const t = checkTensor(fn, `weights.${name}`, ws[name]);
    checkFloat32(fn, `weights.${name}`, t);
    if (t.dims.length !== 2) throw new RangeError(`${fn}: weights.${name} must be a matrix [E_in, E_out], got ${shapeString(t.dims)}`);
    return t.dims as [number, number];
  };
  const Hq = checkInt(fn, "numHeads", o.numHeads, 1);
  const Hkv = o.numKvHeads === undefined ? Hq : checkInt(fn, "numKvHeads", o.numKvHeads, 1);
  if (Hq % Hkv !== 0) throw new RangeError(`${fn}: numHeads ${Hq} must be a multiple of numKvHeads ${Hkv}`);
  const [E, nq] = mat("wq"), [Ek, nk] = mat("wk"), [Ev, nv] = mat("wv");
  if (Ek !== E || Ev !== E) throw new RangeError(`${fn}: wq, wk, wv must share E_in (rows): got ${E}, ${Ek}, ${Ev}`);
  if (nq % Hq !== 0) throw new RangeError(`${fn}: weights.wq has ${nq} columns, not a multiple of numHeads ${Hq}`);
  const Dk = nq / Hq;
  if (nk !== Hkv * Dk) throw new RangeError(`${fn}: weights.wk must have numKvHeads·Dk = ${Hkv}·${Dk} = ${Hkv * Dk} columns, got ${shapeString([Ek, nk])}`);
  if (nv % Hkv !== 0) throw new RangeError(`${fn}: weights.wv has ${nv} columns, not a multiple of numKvHeads ${Hkv}`);
  const Dv = nv / Hkv;
  let Eout = Hq * Dv;
  if (ws.wo !== undefined) {
    const [r, c] = mat("wo");
    if (r !== Hq * Dv) throw new RangeError(`${fn}: weights.wo must be [Hq·Dv, E_out] = [${Hq * Dv}, E_out], got ${shapeString([r, c])}`);
    Eout = c;
  }
  const vec = (name: keyof AttentionWeights, n: number) => {
    if (ws[name] === undefined) return;
    const t = checkTensor(fn, `weights.${name}`, ws[name]);
    checkFloat32(fn, `weights.${name}`, t);
    if (t.dims.length !== 1 || t.dims[0] !== n) throw new RangeError(`${fn}: weights.${name} must be [${n}], got ${shapeString(t.dims)}`);
  };
  vec("bq", nq); vec("bk", nk); vec("bv", nv);
  if (ws.bo !== undefined && ws.wo === undefined) throw new TypeError(`${fn}: weights.bo is given without weights.wo`);
  vec("bo", Eout);
  return { E, Hq, Hkv, Dk, Dv, Eout, Nqkv: nq + nk + nv };
}

/** [wq | wk | wv] side by side: [E, Nqkv], and the matching bias. */
function packQkv(w: AttentionWeights, s: Shapes): { w: Float32Array; b: Float32Array } {
  const { E, Nqkv } = s;
  const parts = [w.wq, w.wk, w.wv];
  const out = new Float32Array(E * Nqkv);
  for (let e = 0; e < E; e++) {
    let col = 0;
    for (const p of parts) {
      const n = p.dims[1]!;
      out.set(p.data.subarray(e * n, (e + 1) * n), e * Nqkv + col);
      col += n;
    }
  }
  const b = new Float32Array(Nqkv);
  let col = 0;
  for (const [bias, n] of [[w.bq, w.wq.dims[1]!], [w.bk, w.wk.dims[1]!], [w.bv, w.wv.dims[1]!]] as const) {
    if (bias) b.set(bias.data, col);
    col += n;
  }
  return { w: out, b };
}

export class MultiHeadAttention {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly valueDim: number;
  readonly embedDim: number;
  readonly outDim: number;
  /** @internal */
  readonly engine: WasmEngine | null;
  private readonly s: Shapes;
  private readonly scale: number | undefined;
  private readonly softcap: number | undefined;
  private readonly hasWo: boolean;
  // wasm: addresses of resident weights; js: the arrays.
  private wqkvAt = 0; private bqkvAt = 0; private woAt = 0; private boAt = 0;
  private js: { wqkv: Float32Array; bqkv: Float32Array; wo: Float32Array | null; bo: Float32Array | null } | null = null;
  private disposed = false;

  constructor(weights: AttentionWeights, options: MultiHeadAttentionOptions) {
    const fn = "MultiHeadAttention";
    const state = requireState(fn);
    if (options === null || typeof options !== "object") throw new TypeError(`${fn}: options must be an object { numHeads, ... }, got ${describe(options)}`);
    checkOptionNames(fn, "option", options, ["numHeads", "numKvHeads", "scale", "softcap"]);
    const s = checkWeights(fn, weights, options);
    // The options attention() would check, checked once here on a dummy geometry.
    withOptions(fn, { scale: options.scale, softcap: options.softcap }, {
      B: 0, Hq: s.Hq, Hkv: s.Hkv, Lq: 0, Lkv: 0, Dk: s.Dk, Dv: s.Dv, q: new Float32Array(0), k: new Float32Array(0), v: new Float32Array(0),
      qStrides: [0, 0, 0], kStrides: [0, 0, 0], vStrides: [0, 0, 0], outDims: [], outStrides: [0, 0, 0],
    });
    this.s = s;
    this.numHeads = s.Hq; this.numKvHeads = s.Hkv; this.headDim = s.Dk; this.valueDim = s.Dv;
    this.embedDim = s.E; this.outDim = s.Eout;
    this.scale = options.scale; this.softcap = options.softcap;
    this.hasWo = weights.wo !== undefined;
    const { w, b } = packQkv(weights, s);
    this.engine = state.engine;
    const e = this.engine;
    if (e) {
      const taken: number[] = [];
      try {
        const put = (what: string, data: Float32Array) => {
          const at = e.alloc(fn, what, data.length * 4);
          taken.push(at);
          e.heapF32.set(data, at >> 2);
          return at;
        };
        this.wqkvAt = put("W_QKV", w);
        this.bqkvAt = put("b_QKV", b);
        if (weights.wo) {
          this.woAt = put("W_O", weights.wo.data);
          this.boAt = put("b_O", weights.bo ? weights.bo.data : new Float32Array(s.Eout));
        }
      } catch (err) {
        for (const at of taken) e.free(at);
        throw err;
      }
    } else {
      this.js = {
        wqkv: w, bqkv: b, wo: weights.wo ? weights.wo.data.slice() : null,
        bo: weights.wo ? (weights.bo ? weights.bo.data.slice() : new Float32Array(s.Eout)) : null,
      };
    }
  }

  /** Frees the resident weights; any later forward() is an Error. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.engine) for (const at of [this.wqkvAt, this.bqkvAt, this.woAt, this.boAt]) if (at) this.engine.free(at);
    this.js = null;
  }

  /**
   * x [B, L, E] → [B, L, E_out]. With `cache`, this call's keys and values are appended
   * to it first and the queries attend over every cached entry (causal: bottom-right, so
   * the new positions see all earlier ones and the causal part of themselves).
   */
  forward(x: Float32Tensor, options?: ForwardOptions): ForwardResult {
    const fn = "MultiHeadAttention.forward";
    if (this.disposed) throw new Error(`${fn}: this MultiHeadAttention was disposed`);
    const o = (options ?? {}) as ForwardOptions;
    if (typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
    checkOptionNames(fn, "option", o, ["causal", "causalOffset", "mask", "keyLengths", "cache", "returnWeights"]);
    const xt = checkTensor(fn, "x", x);
    const xd = checkFloat32(fn, "x", xt);
    const { E, Hq, Hkv, Dk, Dv, Eout, Nqkv } = this.s;
    if (xt.dims.length !== 3 || xt.dims[2] !== E) throw new RangeError(`${fn}: x must be [B, L, ${E}], got ${shapeString(xt.dims)}`);
    const [B, L] = xt.dims as [number, number];
    const M = B * L;
    const cache = o.cache;
    if (cache !== undefined) {
      if (!(cache instanceof KVCache)) throw new TypeError(`${fn}: cache must be a KVCache, got ${describe(cache)}`);
      if (cache.batch !== B || cache.numKvHeads !== Hkv || cache.headDim !== Dk || cache.valueDim !== Dv) {
        throw new RangeError(`${fn}: cache is [batch ${cache.batch}, kv heads ${cache.numKvHeads}, Dk ${cache.headDim}, Dv ${cache.valueDim}], this layer needs [${B}, ${Hkv}, ${Dk}, ${Dv}]`);
      }
      if (cache.engine !== this.engine) throw new Error(`${fn}: the cache and this layer were created on different builds (init() switched in between); create them on the same one`);
      cache.reserve(fn, L);
    }
    const past = cache ? cache.length : 0;
    const Lkv = past + L;
    const colK = Hq * Dk, colV = colK + Hkv * Dk;
    const ld = this.engine ? pad8(Nqkv) : Nqkv; // row stride of the projections
    const attnOpts: AttentionOptions = { causal: o.causal, causalOffset: o.causalOffset, mask: o.mask, keyLengths: o.keyLengths, returnWeights: o.returnWeights, scale: this.scale, softcap: this.softcap };
    for (const k of Object.keys(attnOpts) as (keyof AttentionOptions)[]) if (attnOpts[k] === undefined) delete attnOpts[k];
    // Q, K, V sit side by side in each projection row (3D layout, row stride ld).
    const s3 = (D: number): [number, number, number] => [L * ld, D, ld];
    const plan = withOptions(fn, attnOpts, {
      B, Hq, Hkv, Lq: L, Lkv, Dk, Dv,
      q: new Float32Array(0), k: new Float32Array(0), v: new Float32Array(0),
      qStrides: s3(Dk),
      kStrides: cache ? cache.kStrides() : s3(Dk),
      vStrides: cache ? cache.vStrides() : s3(Dv),
      outDims: [B, L, Hq * Dv], outStrides: [L * Hq * Dv, Dv, Hq * Dv],
    });
    return this.engine
      ? this.forwardWasm(fn, this.engine, xd, B, L, M, ld, colK, colV, plan, cache)
      : this.forwardJs(xd, B, L, M, colK, colV, plan, cache);
  }

  private forwardWasm(
    fn: string, e: WasmEngine, x: Float32Array, B: number, L: number, M: number, ld: number,
    colK: number, colV: number, plan: Plan, cache: KVCache | undefined,
  ): ForwardResult {
    const { E, Hq, Hkv, Dk, Dv, Eout, Nqkv } = this.s;
    const ex = e.exports;
    const A: Layout = e.arena();
    const xAt = A.take("x", M * E * 4);
    const cAt = A.take("Q|K|V projections", M * ld * 4, 32);
    const oAt = A.take("attention output", M * Hq * Dv * 4);
    const EoutP = pad8(Eout);
    const yAt = this.hasWo ? A.take("output projection", M * EoutP * 4) : 0;
    const placed = cache
      ? { q: cAt, k: cache.storage().kAt, v: cache.storage().vAt, out: oAt }
      : { q: cAt, k: cAt + colK * 4, v: cAt + colV * 4, out: oAt };
    const a = e.layoutAttend(plan, A, placed);
    e.ensure(fn, A.top, A.parts);
    e.heapF32.set(x, xAt >> 2);
    // C = bias rows, then C += X·W_QKV
    ex.copyRows(cAt, 0, 0, ld, this.bqkvAt, 0, 0, 0, 1, 1, M, Nqkv);
    ex.gemm(M, Nqkv, E, xAt, E * 4, 4, this.wqkvAt, Nqkv * 4, cAt, ld * 4, true);
    if (cache) {
      const [ksb, ksh, ksl] = cache.kStrides(), [vsb, vsh, vsl] = cache.vStrides();
      const len = cache.length;
      ex.copyRows(placed.k + len * ksl * 4, ksb, ksh, ksl, cAt + colK * 4, L * ld, Dk, ld, B, Hkv, L, Dk);
      ex.copyRows(placed.v + len * vsl * 4, vsb, vsh, vsl, cAt + colV * 4, L * ld, Dv, ld, B, Hkv, L, Dv);
      cache.commit(L);
    }
    e.execAttend(plan, a, placed);
    const f32 = e.heapF32;
    let data: Float32Array;
    if (this.hasWo) {
      ex.copyRows(yAt, 0, 0, EoutP, this.boAt, 0, 0, 0, 1, 1, M, Eout);
      ex.gemm(M, Eout, Hq * Dv, oAt, Hq * Dv * 4, 4, this.woAt, Eout * 4, yAt, EoutP * 4, true);
      if (EoutP !== Eout) ex.copyRows(yAt, 0, 0, Eout, yAt, 0, 0, EoutP, 1, 1, M, Eout); // compact rows in place (forward copies)
      data = f32.slice(yAt >> 2, (yAt >> 2) + M * Eout);
    } else {
      data = f32.slice(oAt >> 2, (oAt >> 2) + M * Hq * Dv);
    }
    const res: ForwardResult = { data, dims: [B, L, Eout] };
    if (plan.returnWeights) {
      const n = B * Hq * L * plan.Lkv;
      res.weights = { data: f32.slice(a.scores >> 2, (a.scores >> 2) + n), dims: [B, Hq, L, plan.Lkv] };
    }
    return res;
  }

  private forwardJs(
    x: Float32Array, B: number, L: number, M: number, colK: number, colV: number, plan: Plan, cache: KVCache | undefined,
  ): ForwardResult {
    const { E, Hq, Hkv, Dk, Dv, Eout, Nqkv } = this.s;
    const js = this.js!;
    const c = matmulReference(x, M, E, E, js.wqkv, Nqkv, js.bqkv);
    plan.q = c;
    if (cache) {
      const s = cache.storage();
      const [ksb, ksh, ksl] = cache.kStrides(), [vsb, vsh, vsl] = cache.vStrides();
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < Hkv; h++) {
          for (let l = 0; l < L; l++) {
            const src = (b * L + l) * Nqkv;
            s.k.set(c.subarray(src + colK + h * Dk, src + colK + (h + 1) * Dk), b * ksb + h * ksh + (cache.length + l) * ksl);
            s.v.set(c.subarray(src + colV + h * Dv, src + colV + (h + 1) * Dv), b * vsb + h * vsh + (cache.length + l) * vsl);
          }
        }
      }
      cache.commit(L);
      plan.k = s.k; plan.v = s.v;
    } else {
      plan.k = c.subarray(colK); plan.v = c.subarray(colV);
    }
    const r = runReference(plan);
    const data = js.wo ? matmulReference(r.data, M, Hq * Dv, Hq * Dv, js.wo, Eout, js.bo) : r.data;
    const res: ForwardResult = { data, dims: [B, L, Eout] };
    if (r.weights) res.weights = r.weights;
    return res;
  }
}

/**
 * The seed's self-attention in one call: x [B, L, E] → [B, L, E_out] with the given
 * projection weights (x·W convention; see weightsFromPyTorch for nn.MultiheadAttention).
 */
export function selfAttention(
  x: Float32Tensor, weights: AttentionWeights,
  options: MultiHeadAttentionOptions & Omit<ForwardOptions, "cache">,
): ForwardResult {
  const fn = "selfAttention";
  if (options === null || typeof options !== "object") throw new TypeError(`${fn}: options must be an object { numHeads, ... }, got ${describe(options)}`);
  checkOptionNames(fn, "option", options, ["numHeads", "numKvHeads", "scale", "softcap", "causal", "causalOffset", "mask", "keyLengths", "returnWeights"]);
  const { numHeads, numKvHeads, scale, softcap, ...fwd } = options;
  const layer = new MultiHeadAttention(weights, { numHeads, ...(numKvHeads !== undefined && { numKvHeads }), ...(scale !== undefined && { scale }), ...(softcap !== undefined && { softcap }) });
  try {
    return layer.forward(x, fwd);
  } finally {
    layer.dispose();
  }
}

/**
 * Converts PyTorch nn.MultiheadAttention parameters (state_dict names) to AttentionWeights.
 * PyTorch stores in_proj_weight [3E, E] and out_proj.weight [E, E] applied as x·Wᵀ; this
 * transposes them to the x·W convention and splits Q, K, V.
 */
export function weightsFromPyTorch(state: {
  in_proj_weight: Tensor; in_proj_bias?: Tensor; out_proj_weight: Tensor; out_proj_bias?: Tensor;
}): AttentionWeights {
  const fn = "weightsFromPyTorch";
  if (state === null || typeof state !== "object") throw new TypeError(`${fn}: expected { in_proj_weight, in_proj_bias?, out_proj_weight, out_proj_bias? }, got ${describe(state)}`);
  const ipw = checkTensor(fn, "in_proj_weight", state.in_proj_weight);
  const ipd = checkFloat32(fn, "in_proj_weight", ipw);
  if (ipw.dims.length !== 2 || ipw.dims[0] !== 3 * ipw.dims[1]!) throw new RangeError(`${fn}: in_proj_weight must be [3E, E], got ${shapeString(ipw.dims)}`);
  const E = ipw.dims[1]!;
  const opw = checkTensor(fn, "out_proj_weight", state.out_proj_weight);
  const opd = checkFloat32(fn, "out_proj_weight", opw);
  if (opw.dims.length !== 2 || opw.dims[1] !== E) throw new RangeError(`${fn}: out_proj_weight must be [E_out, ${E}], got ${shapeString(opw.dims)}`);
  const Eo = opw.dims[0]!;
  // rows r0..r0+E of a [R, C] matrix, transposed to [C, E]
  const tr = (src: Float32Array, C: number, r0: number, R: number) => {
    const out = new Float32Array(C * R);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = src[(r0 + r) * C + c]!;
    return out;
  };
  const w: AttentionWeights = {
    wq: { data: tr(ipd, E, 0, E), dims: [E, E] },
    wk: { data: tr(ipd, E, E, E), dims: [E, E] },
    wv: { data: tr(ipd, E, 2 * E, E), dims: [E, E] },
    wo: { data: tr(opd, E, 0, Eo), dims: [E, Eo] },
  };
  if (state.in_proj_bias !== undefined) {
    const b = checkFloat32(fn, "in_proj_bias", checkTensor(fn, "in_proj_bias", state.in_proj_bias));
    if (b.length !== 3 * E) throw new RangeError(`${fn}: in_proj_bias must be [${3 * E}], got ${b.length} elements`);
    w.bq = { data: b.slice(0, E), dims: [E] };
    w.bk = { data: b.slice(E, 2 * E), dims: [E] };
    w.bv = { data: b.slice(2 * E), dims: [E] };
  }
  if (state.out_proj_bias !== undefined) {
    const b = checkFloat32(fn, "out_proj_bias", checkTensor(fn, "out_proj_bias", state.out_proj_bias));
    if (b.length !== Eo) throw new RangeError(`${fn}: out_proj_bias must be [${Eo}], got ${b.length} elements`);
    w.bo = { data: b, dims: [Eo] };
  }
  return w;
}
