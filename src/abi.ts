// The wasm side of a call: lays a Plan out in linear memory (one arena, reused by every
// call and grown when a call needs more), writes the parameter block that
// assembly/params.ts reads, runs the kernels over all (batch, head) pairs, and copies
// the results out. Views on the memory are re-created after every growth (growing
// detaches the old ArrayBuffer; writes through a stale view would be lost).
import type { Plan } from "./plan.js";
import type { AttentionResult } from "./types.js";
import { tuning } from "./tuning.js";

/** The exports of build/*.wasm (assembly/index.ts). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  buildKind(): number;
  heapBase(): number;
  paramSlots(): number;
  attentionScratchBytes(dk: number, dv: number, blockQ: number, blockK: number): number;
  attentionFlash(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
  attentionDecode(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
  attentionScores(p: number, bh0: number, bh1: number): void;
  softmaxRows(p: number, rows: number, n: number, ld: number): void;
  softcap(p: number, n: number, cap: number): void;
  expInPlace(p: number, n: number): void;
  exp2InPlace(p: number, n: number): void;
  gemm(m: number, n: number, k: number, a: number, aRs: number, aCs: number, b: number, ldb: number, c: number, ldc: number, acc: boolean): void;
  copyRows(dst: number, dsb: number, dsh: number, dsl: number, src: number, ssb: number, ssh: number, ssl: number, nb: number, nh: number, nl: number, d: number): void;
}

// Parameter block slots (assembly/params.ts).
const P_B = 0, P_HQ = 1, P_HKV = 2, P_LQ = 3, P_LKV = 4, P_DK = 5, P_DV = 6;
const P_Q = 7, P_K = 11, P_V = 15, P_OUT = 19, P_SCALE = 23, P_SOFTCAP = 24, P_CAUSAL = 25;
const P_CAUSAL_OFFSETS = 26, P_KEY_LENGTHS = 27, P_MASK_KIND = 28, P_MASK = 29, P_LSE = 34;
const P_SCRATCH = 35, P_BLOCK_Q = 36, P_BLOCK_K = 37, P_SCORES = 38, P_SCORES_MODE = 39;
const P_GUARDS = 40;
const P_COUNT = 41;
/**
 * Slots of the parameter block, the scratch pointer's slot (the pool gives each worker its
 * own) and the V-guard bytes' slot (the pool's workers share them; 0 otherwise).
 */
export const P_COUNT_SLOTS = P_COUNT, P_SCRATCH_SLOT = P_SCRATCH, P_GUARDS_SLOT = P_GUARDS;

/** Wasm32 linear memory: 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 2 ** 32;
const PAGE = 65536;
/** Bytes past each input the kernels may read (the 8-wide P·V tile over-reads V rows). */
const SLACK = 32;

const BUILD_NAMES = ["scalar", "simd", "relaxed-simd"] as const;
export type WasmBuild = (typeof BUILD_NAMES)[number];

function bytesString(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** Bump allocation over the arena for the duration of one call. */
export class Layout {
  top: number;
  /** What was laid out, for the error message if memory cannot hold it (formatted only then). */
  readonly parts: [string, number][] = [];
  constructor(base: number) { this.top = base; }
  take(name: string, bytes: number, slack = 0): number {
    const at = Math.ceil(this.top / 64) * 64;
    this.top = at + bytes + slack;
    if (bytes > 0) this.parts.push([name, bytes]);
    return at;
  }
}

/** Inputs already in linear memory (a KV cache, a projection's output): their addresses. */
export interface Placed {
  q?: number; k?: number; v?: number;
  /** Write the output here and leave it in memory (the caller reads or projects it). */
  out?: number;
}

/** Where one attention call's pieces sit in linear memory. */
export interface AttendAddrs {
  params: number; q: number; k: number; v: number; mask: number; offsets: number; keyLengths: number;
  out: number; lse: number; scores: number; scratch: number;
}

export class WasmEngine {
  readonly exports: KernelExports;
  readonly build: WasmBuild;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private u8!: Uint8Array;
  private buffer: ArrayBuffer | null = null;
  /**
   * Persistent blocks (KV caches, resident weights) sit between heapBase and `top`, with
   * a first-fit free list; every call's transient arena starts at `top`, so nothing a
   * call lays out can overlap a block that outlives it.
   */
  private top: number;
  private readonly blocks = new Map<number, number>(); // address → size, live blocks
  private holes: { at: number; size: number }[] = [];

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as KernelExports;
    const kind = this.exports.buildKind();
    this.build = BUILD_NAMES[kind]!;
    if (this.exports.paramSlots() !== P_COUNT) {
      throw new Error(`wasm-attention: the module's parameter block has ${this.exports.paramSlots()} slots, this wrapper expects ${P_COUNT}: module and wrapper come from different versions`);
    }
    this.top = this.exports.heapBase();
    this.views();
  }

  /** Current views; re-created when the memory has grown (its buffer was replaced). */
  private views(): void {
    const buf = this.exports.memory.buffer as ArrayBuffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
    this.u8 = new Uint8Array(buf);
  }

  /** A Float32Array over the whole memory, current after any growth. */
  get heapF32(): Float32Array {
    this.views();
    return this.f32;
  }

  /** Bytes of linear memory right now. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Makes the memory at least `end` bytes long, or throws a RangeError saying what was asked for. */
  ensure(fn: string, end: number, parts: readonly [string, number][]): void {
    const have = this.exports.memory.buffer.byteLength;
    if (end > have) {
      const detail = parts.length ? ` (${parts.map(([n, b]) => `${n} ${bytesString(b)}`).join(", ")})` : "";
      if (end > WASM_MAX_BYTES) {
        throw new RangeError(`${fn}: this call needs ${bytesString(end)} of wasm memory${detail}; wasm32 memory holds at most 4 GiB`);
      }
      try {
        this.exports.memory.grow(Math.ceil((end - have) / PAGE));
      } catch (e) {
        throw new RangeError(`${fn}: could not grow wasm memory to ${bytesString(end)}${detail}: ${(e as Error).message}`);
      }
    }
    this.views();
  }

  /**
   * A persistent block of `bytes` (plus the kernels' over-read slack), 64-byte aligned,
   * zero-filled; lives until free(). Throws a RangeError (naming `what`) if wasm memory
   * cannot hold it; nothing changes then.
   */
  alloc(fn: string, what: string, bytes: number): number {
    const size = Math.ceil((bytes + SLACK) / 64) * 64;
    const hole = this.holes.findIndex((h) => h.size >= size);
    let at: number;
    if (hole >= 0) {
      const h = this.holes[hole]!;
      at = h.at;
      if (h.size === size) this.holes.splice(hole, 1);
      else { h.at += size; h.size -= size; }
    } else {
      at = Math.ceil(this.top / 64) * 64;
      this.ensure(fn, at + size, [[what, bytes]]);
      this.top = at + size;
    }
    this.blocks.set(at, size);
    this.u8.fill(0, at, at + size);
    return at;
  }

  /** Returns a block to the free list (and lowers `top` when it was the last one). */
  free(at: number): void {
    const size = this.blocks.get(at);
    if (size === undefined) return;
    this.blocks.delete(at);
    this.holes.push({ at, size });
    // Merge neighbours, then give the tail back to the arena.
    this.holes.sort((a, b) => a.at - b.at);
    const merged: { at: number; size: number }[] = [];
    for (const h of this.holes) {
      const last = merged[merged.length - 1];
      if (last && last.at + last.size === h.at) last.size += h.size;
      else merged.push({ ...h });
    }
    const tail = merged[merged.length - 1];
    if (tail && tail.at + tail.size >= this.top) { this.top = tail.at; merged.pop(); }
    this.holes = merged;
  }

  /** A fresh layout for one call's transient data, above every persistent block. */
  arena(): Layout {
    return new Layout(this.top);
  }

  /**
   * Lays out one attention call on `L` (without touching memory): the inputs not already
   * `placed`, the mask, per-batch arrays, outputs and scratch.
   */
  layoutAttend(plan: Plan, L: Layout, placed: Placed = {}): AttendAddrs {
    const { B, Hq, Lq, Lkv, Dk, Dv } = plan;
    const withScores = plan.returnWeights || plan.scoresMode >= 0;
    return {
      params: L.take("parameters", P_COUNT * 4),
      q: placed.q ?? L.take("q", plan.q.length * 4),
      k: placed.k ?? L.take("k", plan.k.length * 4),
      v: placed.v ?? L.take("v", plan.v.length * 4, SLACK),
      mask: plan.mask ? L.take("mask", plan.mask.data.length * plan.mask.data.BYTES_PER_ELEMENT) : 0,
      offsets: L.take("causal offsets", B * 4),
      keyLengths: plan.keyLengths ? L.take("key lengths", B * 4) : 0,
      out: placed.out ?? L.take("output", B * Hq * Lq * Dv * 4),
      lse: L.take("lse", B * Hq * Lq * 4),
      scores: withScores ? L.take("scores", B * Hq * Lq * Lkv * 4) : 0,
      scratch: L.take("scratch", this.exports.attentionScratchBytes(Dk, Dv, tuning.blockQ, tuning.blockK)),
    };
  }

  /**
   * Copies the inputs that are not `placed`, writes the parameter block and runs the
   * kernels over every (batch, head). The memory must already hold the layout (ensure()).
   */
  execAttend(plan: Plan, a: AttendAddrs, placed: Placed = {}): void {
    this.writeAttend(plan, a, placed);
    const heads = plan.B * plan.Hq;
    if (plan.Lq <= tuning.decodeMaxRows) this.exports.attentionDecode(a.params, 0, heads, 0, plan.Lq);
    else this.exports.attentionFlash(a.params, 0, heads, 0, plan.Lq);
    this.scores(plan, a);
  }

  /** Runs the scores kernel when the plan asks for weights or ONNX's qk_matmul_output. */
  scores(plan: Plan, a: AttendAddrs): void {
    if (plan.scoresMode >= 0 || plan.returnWeights) {
      this.views();
      const p = a.params >> 2;
      this.i32[p + P_SCORES] = a.scores;
      this.i32[p + P_SCORES_MODE] = plan.scoresMode >= 0 ? plan.scoresMode : 3;
      this.exports.attentionScores(a.params, 0, plan.B * plan.Hq);
    }
  }

  /** Copies the inputs that are not `placed` and writes the parameter block; runs nothing. */
  writeAttend(plan: Plan, a: AttendAddrs, placed: Placed = {}): void {
    const { B, Hq, Hkv, Lq, Lkv, Dk, Dv } = plan;
    this.views();
    const f32 = this.f32, i32 = this.i32;
    if (placed.q === undefined) f32.set(plan.q, a.q >> 2);
    if (placed.k === undefined) f32.set(plan.k, a.k >> 2);
    if (placed.v === undefined) f32.set(plan.v, a.v >> 2);
    if (plan.mask) this.u8.set(new Uint8Array(plan.mask.data.buffer, plan.mask.data.byteOffset, plan.mask.data.byteLength), a.mask);
    i32.set(plan.causalOffsets, a.offsets >> 2);
    if (plan.keyLengths) i32.set(plan.keyLengths, a.keyLengths >> 2);

    const p = a.params >> 2;
    i32.fill(0, p, p + P_COUNT);
    i32[p + P_B] = B; i32[p + P_HQ] = Hq; i32[p + P_HKV] = Hkv; i32[p + P_LQ] = Lq; i32[p + P_LKV] = Lkv;
    i32[p + P_DK] = Dk; i32[p + P_DV] = Dv;
    const tensor = (slot: number, ptr: number, s: readonly number[]) => {
      i32[p + slot] = ptr; i32[p + slot + 1] = s[0]!; i32[p + slot + 2] = s[1]!; i32[p + slot + 3] = s[2]!;
    };
    tensor(P_Q, a.q, plan.qStrides);
    tensor(P_K, a.k, plan.kStrides);
    tensor(P_V, a.v, plan.vStrides);
    tensor(P_OUT, a.out, plan.outStrides);
    f32[p + P_SCALE] = plan.scale;
    f32[p + P_SOFTCAP] = plan.softcap;
    i32[p + P_CAUSAL] = plan.causal ? 1 : 0;
    i32[p + P_CAUSAL_OFFSETS] = a.offsets;
    i32[p + P_KEY_LENGTHS] = a.keyLengths;
    if (plan.mask) {
      i32[p + P_MASK_KIND] = plan.mask.kind === "bool" ? 1 : 2;
      i32[p + P_MASK] = a.mask;
      for (let s = 0; s < 4; s++) i32[p + P_MASK + 1 + s] = plan.mask.strides[s]!;
    }
    i32[p + P_LSE] = a.lse;
    i32[p + P_SCRATCH] = a.scratch;
    i32[p + P_BLOCK_Q] = tuning.blockQ;
    i32[p + P_BLOCK_K] = tuning.blockK;
  }

  /**
   * Runs a plan whose inputs are JS arrays (or `placed` in memory). Everything that can
   * fail (sizes, memory growth) fails before any input is copied. Returns the output
   * (into plan.out when given), lse and weights as asked; `scores` is the
   * plan.scoresMode stage when that is ≥ 0 (ONNX qk_matmul_output).
   */
  run(fn: string, plan: Plan, placed: Placed = {}): AttentionResult & { scores?: Float32Array } {
    const L = this.arena();
    const a = this.layoutAttend(plan, L, placed);
    this.ensure(fn, L.top, L.parts);
    this.execAttend(plan, a, placed);
    return this.collect(plan, a);
  }

  /** Copies a finished call's results out of memory (into plan.out when given). */
  collect(plan: Plan, a: AttendAddrs): AttentionResult & { scores?: Float32Array } {
    const { B, Hq, Lq, Lkv, Dv } = plan;
    this.views();
    const f32 = this.f32;
    const result: AttentionResult & { scores?: Float32Array } = { data: null as unknown as Float32Array, dims: plan.outDims };
    const nOut = B * Hq * Lq * Dv;
    if (plan.out) {
      plan.out.set(f32.subarray(a.out >> 2, (a.out >> 2) + nOut));
      result.data = plan.out.length === nOut ? plan.out : plan.out.subarray(0, nOut);
    } else {
      result.data = f32.slice(a.out >> 2, (a.out >> 2) + nOut);
    }
    if (plan.returnLse) result.lse = { data: f32.slice(a.lse >> 2, (a.lse >> 2) + B * Hq * Lq), dims: [B, Hq, Lq] };
    const nScores = B * Hq * Lq * Lkv;
    const scores = a.scores ? f32.slice(a.scores >> 2, (a.scores >> 2) + nScores) : null;
    if (plan.scoresMode >= 0) result.scores = scores!;
    if (plan.returnWeights) {
      if (plan.scoresMode !== 3 && plan.scoresMode >= 0) {
        // qk_matmul_output took another stage: compute the probabilities as well.
        const i32 = this.i32, p = a.params >> 2;
        i32[p + P_SCORES_MODE] = 3;
        this.exports.attentionScores(a.params, 0, B * Hq);
        result.weights = { data: this.f32.slice(a.scores >> 2, (a.scores >> 2) + nScores), dims: [B, Hq, Lq, Lkv] };
      } else {
        result.weights = { data: scores!, dims: [B, Hq, Lq, Lkv] };
      }
    }
    return result;
  }
}
