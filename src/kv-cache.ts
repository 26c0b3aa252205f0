// KVCache: keys and values resident in wasm memory, for decoding (GPT-2 style) and for
// segment memory (Transformer-XL). A decode step copies only the new token's keys and
// values in; attention then reads the cache where it lies.
//
// Layout: K [batch, numKvHeads, capacity, headDim] and V [batch, numKvHeads, capacity,
// valueDim]; entries 0..length−1 of each (batch, head) are valid. A cache runs on the
// build that was current when it was created (its memory belongs to that module), even
// if init() switches builds later.
import type { AttentionOptions, AttentionResult, Float32Tensor } from "./types.js";
import type { WasmEngine } from "./abi.js";
import { requireState } from "./state.js";
import { checkFloat32, checkInt, checkOptionNames, checkRank, checkTensor, describe, shapeString } from "./check.js";
import { strides3, withOptions, type Plan, type Strides3 } from "./plan.js";
import { runReference } from "./attention.js";

export interface KVCacheOptions {
  numKvHeads: number;
  headDim: number;
  /** Value head size; default headDim. */
  valueDim?: number;
  /** Most entries the cache holds; append past it is a RangeError. */
  capacity: number;
  /** Default 1. */
  batch?: number;
}

const CACHE_ATTENTION_OPTIONS = [
  "numHeads", "numKvHeads", "scale", "causal", "causalOffset", "mask", "keyLengths", "softcap", "out", "returnLse", "returnWeights",
] as const;

export class KVCache {
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly valueDim: number;
  readonly capacity: number;
  readonly batch: number;
  /** @internal the engine whose memory holds the cache; null for the 'js' build. */
  readonly engine: WasmEngine | null;
  private kAt = 0;
  private vAt = 0;
  private kJs: Float32Array | null = null;
  private vJs: Float32Array | null = null;
  private len = 0;
  private disposed = false;

  constructor(options: KVCacheOptions) {
    const fn = "KVCache";
    const state = requireState(fn);
    if (options === null || typeof options !== "object") throw new TypeError(`${fn}: options must be an object { numKvHeads, headDim, capacity, ... }, got ${describe(options)}`);
    checkOptionNames(fn, "option", options, ["numKvHeads", "headDim", "valueDim", "capacity", "batch"]);
    this.numKvHeads = checkInt(fn, "numKvHeads", options.numKvHeads, 1);
    this.headDim = checkInt(fn, "headDim", options.headDim, 1);
    this.valueDim = options.valueDim === undefined ? this.headDim : checkInt(fn, "valueDim", options.valueDim, 1);
    this.capacity = checkInt(fn, "capacity", options.capacity, 1);
    this.batch = options.batch === undefined ? 1 : checkInt(fn, "batch", options.batch, 1);
    const rows = this.batch * this.numKvHeads * this.capacity;
    this.engine = state.engine;
    if (this.engine) {
      const kBytes = rows * this.headDim * 4, vBytes = rows * this.valueDim * 4;
      if (kBytes + vBytes > 2 ** 32) {
        throw new RangeError(`${fn}: a cache of ${rows} rows needs ${((kBytes + vBytes) / 2 ** 30).toFixed(2)} GiB; wasm32 memory holds at most 4 GiB`);
      }
      this.kAt = this.engine.alloc(fn, "cache keys", kBytes);
      try {
        this.vAt = this.engine.alloc(fn, "cache values", vBytes);
      } catch (e) {
        this.engine.free(this.kAt);
        throw e;
      }
    } else {
      this.kJs = new Float32Array(rows * this.headDim);
      this.vJs = new Float32Array(rows * this.valueDim);
    }
  }

  /** Valid entries per (batch, head). */
  get length(): number {
    return this.len;
  }

  private live(fn: string): void {
    if (this.disposed) throw new Error(`${fn}: this KVCache was disposed`);
  }

  /** @internal Strides of the cache's K and V (batch, head, row), in elements. */
  kStrides(): Strides3 {
    return [this.numKvHeads * this.capacity * this.headDim, this.capacity * this.headDim, this.headDim];
  }
  vStrides(): Strides3 {
    return [this.numKvHeads * this.capacity * this.valueDim, this.capacity * this.valueDim, this.valueDim];
  }

  /** @internal Views on K and V storage (fresh after memory growth), and their addresses. */
  storage(): { k: Float32Array; v: Float32Array; kAt: number; vAt: number } {
    if (!this.engine) return { k: this.kJs!, v: this.vJs!, kAt: 0, vAt: 0 };
    const f32 = this.engine.heapF32;
    const rows = this.batch * this.numKvHeads * this.capacity;
    return {
      k: f32.subarray(this.kAt >> 2, (this.kAt >> 2) + rows * this.headDim),
      v: f32.subarray(this.vAt >> 2, (this.vAt >> 2) + rows * this.valueDim),
      kAt: this.kAt, vAt: this.vAt,
    };
  }

  /** @internal Checks that n more entries fit; throws the RangeError append documents. */
  reserve(fn: string, n: number): void {
    this.live(fn);
    if (this.len + n > this.capacity) {
      throw new RangeError(`${fn}: appending ${n} entries to a cache holding ${this.len} would pass its capacity ${this.capacity}; nothing was appended (truncate(), reset() or a larger cache)`);
    }
  }

  /** @internal Marks n entries appended (after the caller wrote them at rows length..length+n−1). */
  commit(n: number): void {
    this.len += n;
  }

  /**
   * Appends n entries per (batch, head): k [B, Hkv, n, Dk] and v [B, Hkv, n, Dv] (or 3D
   * [B, n, Hkv·D]). Past capacity it is a RangeError and the cache is unchanged.
   */
  append(k: Float32Tensor, v: Float32Tensor): void {
    const fn = "KVCache.append";
    this.live(fn);
    const kt = checkTensor(fn, "k", k), vt = checkTensor(fn, "v", v);
    const kd = checkFloat32(fn, "k", kt), vd = checkFloat32(fn, "v", vt);
    checkRank(fn, "k", kt, [3, 4]);
    if (vt.dims.length !== kt.dims.length) throw new RangeError(`${fn}: v must have k's rank ${kt.dims.length}, got ${shapeString(vt.dims)}`);
    const { batch: B, numKvHeads: H, headDim: Dk, valueDim: Dv } = this;
    const four = kt.dims.length === 4;
    const want = (D: number, n: string) => (four ? `[${B}, ${H}, ${n}, ${D}]` : `[${B}, ${n}, ${H * D}]`);
    const n = four ? kt.dims[2]! : kt.dims[1]!;
    const okK = four ? kt.dims[0] === B && kt.dims[1] === H && kt.dims[3] === Dk : kt.dims[0] === B && kt.dims[2] === H * Dk;
    if (!okK) throw new RangeError(`${fn}: k must be ${want(Dk, "n")} for this cache, got ${shapeString(kt.dims)}`);
    const okV = four
      ? vt.dims[0] === B && vt.dims[1] === H && vt.dims[2] === n && vt.dims[3] === Dv
      : vt.dims[0] === B && vt.dims[1] === n && vt.dims[2] === H * Dv;
    if (!okV) throw new RangeError(`${fn}: v must be ${want(Dv, String(n))} for this cache, got ${shapeString(vt.dims)}`);
    this.reserve(fn, n);
    const s = this.storage();
    const ks = four ? [H * n * Dk, n * Dk, Dk] : strides3(H, n, Dk);
    const vs = four ? [H * n * Dv, n * Dv, Dv] : strides3(H, n, Dv);
    const copy = (dst: Float32Array, ds: Strides3, src: Float32Array, ss: readonly number[], D: number) => {
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const o = b * ds[0] + h * ds[1] + this.len * ds[2];
          const i = b * ss[0]! + h * ss[1]!;
          if (ss[2] === D) dst.set(src.subarray(i, i + n * D), o);
          else for (let r = 0; r < n; r++) dst.set(src.subarray(i + r * ss[2]!, i + r * ss[2]! + D), o + r * D);
        }
      }
    };
    copy(s.k, this.kStrides(), kd, ks, Dk);
    copy(s.v, this.vStrides(), vd, vs, Dv);
    this.commit(n);
  }

  /** Keeps the most recent `memLen` entries (Transformer-XL's memory); memLen ≥ length changes nothing. */
  truncate(memLen: number): void {
    const fn = "KVCache.truncate";
    this.live(fn);
    checkInt(fn, "memLen", memLen, 0);
    if (memLen >= this.len) return;
    const s = this.storage();
    const drop = this.len - memLen;
    const move = (buf: Float32Array, st: Strides3, D: number) => {
      for (let b = 0; b < this.batch; b++) {
        for (let h = 0; h < this.numKvHeads; h++) {
          const o = b * st[0] + h * st[1];
          buf.copyWithin(o, o + drop * D, o + this.len * D);
        }
      }
    };
    move(s.k, this.kStrides(), this.headDim);
    move(s.v, this.vStrides(), this.valueDim);
    this.len = memLen;
  }

  /** Empties the cache (capacity and memory stay). */
  reset(): void {
    this.live("KVCache.reset");
    this.len = 0;
  }

  /** Frees the cache's memory; any later use is an Error. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.engine) { this.engine.free(this.kAt); this.engine.free(this.vAt); }
    this.kJs = this.vJs = null;
    this.len = 0;
  }

  /**
   * Attention of q against every cached entry. q is [B, Hq, Lq, Dk] (or 3D [B, Lq, Hq·Dk]
   * with numHeads); Hq a multiple of the cache's kv heads. With causal: true the new
   * queries are the last Lq positions: each sees every earlier entry and the causal part
   * of the newest (offset length − Lq, bottom-right). Other options as attention().
   */
  attention(q: Float32Tensor, options?: AttentionOptions): AttentionResult {
    const fn = "KVCache.attention";
    this.live(fn);
    const o = (options ?? {}) as AttentionOptions;
    if (typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
    checkOptionNames(fn, "option", o, CACHE_ATTENTION_OPTIONS);
    const qt = checkTensor(fn, "q", q);
    const qd = checkFloat32(fn, "q", qt);
    checkRank(fn, "q", qt, [3, 4]);
    const { batch: B, numKvHeads: Hkv, headDim: Dk, valueDim: Dv } = this;
    let Hq: number, Lq: number;
    if (qt.dims.length === 4) {
      [, Hq, Lq] = qt.dims as [number, number, number, number];
      if (qt.dims[0] !== B || qt.dims[3] !== Dk) throw new RangeError(`${fn}: q must be [${B}, Hq, Lq, ${Dk}] for this cache, got ${shapeString(qt.dims)}`);
      if (o.numHeads !== undefined && o.numHeads !== Hq) throw new RangeError(`${fn}: numHeads is ${describe(o.numHeads)} but q ${shapeString(qt.dims)} has ${Hq} heads`);
    } else {
      if (o.numHeads === undefined) throw new TypeError(`${fn}: 3D q ${shapeString(qt.dims)} needs options.numHeads`);
      Hq = checkInt(fn, "numHeads", o.numHeads, 1);
      Lq = qt.dims[1]!;
      if (qt.dims[0] !== B || qt.dims[2] !== Hq * Dk) throw new RangeError(`${fn}: q must be [${B}, Lq, numHeads·${Dk}] = [${B}, Lq, ${Hq * Dk}], got ${shapeString(qt.dims)}`);
    }
    if (o.numKvHeads !== undefined && o.numKvHeads !== Hkv) throw new RangeError(`${fn}: numKvHeads is ${describe(o.numKvHeads)} but the cache has ${Hkv} kv heads`);
    if (Hq < 1 || Hq % Hkv !== 0) throw new RangeError(`${fn}: query heads ${Hq} must be a positive multiple of the cache's kv heads ${Hkv}`);
    const four = qt.dims.length === 4;
    const s = this.storage();
    const plan = withOptions(fn, o, {
      B, Hq, Hkv, Lq, Lkv: this.len, Dk, Dv,
      q: qd, k: s.k, v: s.v,
      qStrides: four ? [Hq * Lq * Dk, Lq * Dk, Dk] : strides3(Hq, Lq, Dk),
      kStrides: this.kStrides(), vStrides: this.vStrides(),
      outDims: four ? [B, Hq, Lq, Dv] : [B, Lq, Hq * Dv],
      outStrides: four ? [Hq * Lq * Dv, Lq * Dv, Dv] : strides3(Hq, Lq, Dv),
    });
    const { scores: _, ...res } = this.run(fn, plan);
    return res;
  }

  /** @internal Runs a plan whose k/v are this cache, on the cache's own engine. */
  run(fn: string, plan: Plan): AttentionResult & { scores?: Float32Array } {
    return this.engine ? this.engine.run(fn, plan, { k: this.kAt, v: this.vAt }) : runReference(plan);
  }
}
