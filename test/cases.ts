// The one list of attention cases: tests (test/attention.test.ts) run every case on
// every build against the float64 reference; the benchmark (bench/) times the shapes.
// A case is a plain description; makeInputs() turns it into tensors and options with a
// seeded generator, so a failing case is reproduced by its name alone.
import type { AttentionOptions, Float32Tensor } from "../src/types.js";
import { Rng } from "./util/rng.js";

export interface MaskSpec {
  kind: "bool" | "add";
  /** The mask's own dims, trailing-aligned against [B, Hq, Lq, Lkv] (1 = broadcast). */
  dims: number[];
  /** Fraction of entries that exclude their key (bool 0 / additive −∞). */
  pMasked: number;
}

export interface AttentionCase {
  name: string;
  B: number; Hq: number; Hkv: number; Lq: number; Lkv: number; Dk: number; Dv: number;
  layout: "4d" | "3d";
  /** Inputs uniform in [−range, range] (default 1). */
  range?: number;
  /** Make the scaled scores lie in [lo, hi] (large logits: exp overflows without max subtraction). */
  logits?: [number, number];
  causal?: boolean;
  causalOffset?: number;
  mask?: MaskSpec;
  keyLengths?: number[];
  softcap?: number;
  scale?: number;
  returnLse?: boolean;
  returnWeights?: boolean;
  /** Write into a caller-provided buffer (larger than needed, to check the bounds). */
  out?: boolean;
}

/** Multiply-adds ×2 of Q·Kᵀ and P·V over every (query, key) pair: 2·B·Hq·Lq·Lkv·(Dk + Dv). */
export function flops(c: AttentionCase): number {
  return 2 * c.B * c.Hq * c.Lq * c.Lkv * (c.Dk + c.Dv);
}

export function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface CaseInputs {
  q: Float32Tensor; k: Float32Tensor; v: Float32Tensor;
  options: AttentionOptions;
}

export function makeInputs(c: AttentionCase): CaseInputs {
  const rng = new Rng(seedOf(c.name));
  const r = c.range ?? 1;
  const { B, Hq, Hkv, Lq, Lkv, Dk, Dv } = c;
  const dims = (H: number, L: number, D: number) => (c.layout === "4d" ? [B, H, L, D] : [B, L, H * D]);
  let qd = rng.uniform(B * Hq * Lq * Dk, -r, r);
  let kd = rng.uniform(B * Hkv * Lkv * Dk, -r, r);
  const vd = rng.uniform(B * Hkv * Lkv * Dv, -r, r);
  if (c.logits) {
    // q ≈ 1 and every element of key j ≈ x_j, so scale·q·k_j ≈ scale·Dk·x_j ∈ [lo, hi].
    const scale = c.scale ?? 1 / Math.sqrt(Dk);
    const [lo, hi] = c.logits;
    qd = rng.uniform(qd.length, 0.999, 1.001);
    kd = new Float32Array(kd.length);
    const rowsK = B * Hkv * Lkv;
    for (let row = 0; row < rowsK; row++) {
      const x = (lo + (hi - lo) * rng.next()) / (scale * Dk);
      for (let d = 0; d < Dk; d++) kd[row * Dk + d] = x * (1 + 1e-4 * (rng.next() - 0.5));
    }
  }
  const options: AttentionOptions = {};
  if (c.layout === "3d") { options.numHeads = Hq; options.numKvHeads = Hkv; }
  if (c.causal) options.causal = true;
  if (c.causalOffset !== undefined) options.causalOffset = c.causalOffset;
  if (c.keyLengths) options.keyLengths = c.keyLengths;
  if (c.softcap !== undefined) options.softcap = c.softcap;
  if (c.scale !== undefined) options.scale = c.scale;
  if (c.returnLse) options.returnLse = true;
  if (c.returnWeights) options.returnWeights = true;
  if (c.out) options.out = new Float32Array(B * Hq * Lq * Dv + 5).fill(12345);
  if (c.mask) {
    const n = c.mask.dims.reduce((a, b) => a * b, 1);
    if (c.mask.kind === "bool") {
      const m = new Uint8Array(n);
      for (let i = 0; i < n; i++) m[i] = rng.next() < c.mask.pMasked ? 0 : 1;
      options.mask = { data: m, dims: c.mask.dims };
    } else {
      const m = new Float32Array(n);
      for (let i = 0; i < n; i++) m[i] = rng.next() < c.mask.pMasked ? -Infinity : 2 * rng.next() - 1;
      options.mask = { data: m, dims: c.mask.dims };
    }
  }
  return { q: { data: qd, dims: dims(Hq, Lq, Dk) }, k: { data: kd, dims: dims(Hkv, Lkv, Dk) }, v: { data: vd, dims: dims(Hkv, Lkv, Dv) }, options };
}

const base = { B: 1, Hq: 2, Hkv: 2, layout: "4d" as const };

/** Sizes kernels get wrong: head dims, lengths around the SIMD width (4), the gemm tiles (2×16, 4×8) and the blocks (32×64). */
export const sizeCases: AttentionCase[] = [
  ...[1, 3, 4, 63, 64, 65, 128].map((D) => ({ ...base, name: `headdim-${D}`, Lq: 37, Lkv: 45, Dk: D, Dv: D })),
  ...[1, 3, 4, 5, 7, 8, 9, 31, 32, 33, 63, 64, 65, 129].map((L) => ({ ...base, name: `len-${L}`, Lq: L, Lkv: L, Dk: 16, Dv: 16, causal: L % 2 === 1 })),
  { ...base, name: "lq1-decode", Lq: 1, Lkv: 200, Dk: 64, Dv: 64 },
  { ...base, name: "lq1-lkv1", Lq: 1, Lkv: 1, Dk: 8, Dv: 8 },
  { ...base, name: "lkv1", Lq: 40, Lkv: 1, Dk: 8, Dv: 8 },
  { ...base, name: "lq5-decode-edge", Lq: 5, Lkv: 70, Dk: 32, Dv: 24 },
  { ...base, name: "dk-ne-dv", Lq: 33, Lkv: 50, Dk: 24, Dv: 40 },
  { ...base, name: "dv-odd", Lq: 20, Lkv: 30, Dk: 7, Dv: 13 },
  { ...base, name: "logits-80-100-4096", Hq: 1, Hkv: 1, Lq: 8, Lkv: 4096, Dk: 64, Dv: 64, logits: [80, 100] },
  { ...base, name: "logits-80-100-4096-decode", Hq: 1, Hkv: 1, Lq: 1, Lkv: 4096, Dk: 64, Dv: 64, logits: [80, 100] },
  { ...base, name: "mask-neginf", Lq: 17, Lkv: 23, Dk: 8, Dv: 8, mask: { kind: "add", dims: [17, 23], pMasked: 0.3 } },
  { ...base, name: "mask-bool-fully-masked-rows", Lq: 9, Lkv: 12, Dk: 8, Dv: 8, mask: { kind: "bool", dims: [1, 2, 9, 12], pMasked: 0.85 } },
  { ...base, name: "keylengths-zero", B: 3, Lq: 10, Lkv: 12, Dk: 8, Dv: 8, keyLengths: [0, 5, 12], returnLse: true },
  { ...base, name: "causal-negative-offset", Lq: 12, Lkv: 12, Dk: 8, Dv: 8, causal: true, causalOffset: -4, returnLse: true },
  { ...base, name: "causal-top-left", Lq: 40, Lkv: 100, Dk: 16, Dv: 16, causal: true, causalOffset: 0 },
  { ...base, name: "causal-bottom-right", Lq: 40, Lkv: 100, Dk: 16, Dv: 16, causal: true },
  { ...base, name: "gqa-4-1", Hq: 8, Hkv: 2, Lq: 20, Lkv: 33, Dk: 16, Dv: 16 },
  { ...base, name: "mqa", Hq: 6, Hkv: 1, Lq: 20, Lkv: 33, Dk: 16, Dv: 16, layout: "3d" },
  { ...base, name: "softcap-large-logits", Lq: 20, Lkv: 40, Dk: 16, Dv: 16, range: 4, softcap: 5 },
  { ...base, name: "weights-and-lse", Lq: 35, Lkv: 70, Dk: 16, Dv: 16, causal: true, returnLse: true, returnWeights: true, out: true },
];

/** Random cases over every option (shape, layout, GQA, causal and offset, masks, lengths, softcap, scale, outputs). */
export function randomCases(n: number, seed = 7): AttentionCase[] {
  const rng = new Rng(seed);
  const cases: AttentionCase[] = [];
  for (let t = 0; t < n; t++) {
    const B = rng.int(1, 3), Hkv = rng.int(1, 3), Hq = Hkv * rng.int(1, 3);
    const Lq = rng.pick([1, 2, 3, rng.int(4, 20), rng.int(20, 80)]);
    const Lkv = rng.pick([1, rng.int(2, 12), rng.int(12, 140)]);
    const Dk = rng.pick([1, 2, 3, 4, 5, 8, 16, 17, 32, 33, 64]);
    const Dv = rng.bool(0.6) ? Dk : rng.int(1, 40);
    const c: AttentionCase = { name: `random-${seed}-${t}`, B, Hq, Hkv, Lq, Lkv, Dk, Dv, layout: rng.bool() ? "4d" : "3d" };
    if (rng.bool(0.4)) { c.causal = true; if (rng.bool(0.3)) c.causalOffset = rng.int(-3, Lkv); }
    if (rng.bool(0.4)) {
      const full = [B, Hq, Lq, Lkv];
      const rank = rng.int(1, 4);
      const dims = full.slice(4 - rank).map((d) => (rng.bool(0.3) ? 1 : d));
      c.mask = { kind: rng.bool() ? "bool" : "add", dims, pMasked: rng.pick([0, 0.2, 0.5, 0.9]) };
    }
    if (rng.bool(0.3)) c.keyLengths = Array.from({ length: B }, () => rng.int(0, Lkv));
    if (rng.bool(0.25)) c.softcap = rng.pick([0.5, 2, 30]);
    if (rng.bool(0.25)) c.scale = rng.pick([0.01, 0.3, 1, -0.5]);
    if (rng.bool(0.5)) c.returnLse = true;
    if (rng.bool(0.3)) c.returnWeights = true;
    if (rng.bool(0.2)) c.out = true;
    if (rng.bool(0.2)) c.range = rng.pick([0.1, 3, 10]);
    cases.push(c);
  }
  return cases;
}

/**
 * A benchmark shape (bench/run.ts times it; the tests run it at reduced size). B = 1,
 * 4D layout, Dk = Dv = D, scale 1/√D. `quick` marks the cases `npm start` runs.
 */
export interface BenchCase extends AttentionCase {
  quick: boolean;
  /** Decoding through a KVCache: this many keys are cached before the timed step appends one (Lkv = kvCached + 1). */
  kvCached?: number;
  /** The FLOP count 4·B·Hq·Lq·Lkv·D (every (query, key) pair, masked or not). */
  flops: number;
  /** What the shape stands for. */
  what: string;
}

function benchCase(c: { name: string; H: number; Hkv?: number; Lq: number; Lkv: number; D: number; causal?: boolean; kvCached?: number; quick: boolean; what: string }): BenchCase {
  const Hkv = c.Hkv ?? c.H;
  const bc: BenchCase = {
    name: c.name, B: 1, Hq: c.H, Hkv, Lq: c.Lq, Lkv: c.Lkv, Dk: c.D, Dv: c.D, layout: "4d",
    quick: c.quick, flops: 4 * c.H * c.Lq * c.Lkv * c.D, what: c.what,
  };
  if (c.causal) bc.causal = true;
  if (c.kvCached !== undefined) bc.kvCached = c.kvCached;
  return bc;
}

/** The benchmark's shapes (issue 3), in the order the suite runs them. */
export const benchCases: BenchCase[] = [
  benchCase({ name: "edge-small", H: 4, Lq: 64, Lkv: 64, D: 32, quick: true, what: "a small on-device model: fixed per-call costs weigh most here" }),
  benchCase({ name: "bert-base", H: 12, Lq: 128, Lkv: 128, D: 64, quick: true, what: "BERT-base, 128 tokens" }),
  benchCase({ name: "bert-512", H: 12, Lq: 512, Lkv: 512, D: 64, quick: true, what: "BERT-base at its full 512 tokens" }),
  benchCase({ name: "gpt2-prefill", H: 12, Lq: 1024, Lkv: 1024, D: 64, causal: true, quick: true, what: "GPT-2 small prompt of 1024 tokens, causal" }),
  benchCase({ name: "gpt2-decode", H: 12, Lq: 1, Lkv: 1025, D: 64, causal: true, kvCached: 1024, quick: true, what: "GPT-2 small, one new token against 1024 cached keys (KVCache)" }),
  benchCase({ name: "long-4k", H: 1, Lq: 4096, Lkv: 4096, D: 64, causal: true, quick: true, what: "one head over 4096 tokens, causal" }),
  benchCase({ name: "long-32k", H: 1, Lq: 32768, Lkv: 32768, D: 64, causal: true, quick: false, what: "one head over 32768 tokens, causal" }),
  benchCase({ name: "gqa-llama", H: 32, Hkv: 8, Lq: 1024, Lkv: 1024, D: 128, causal: true, quick: false, what: "Llama-style GQA: 32 query heads share 8 kv heads, causal" }),
];

/**
 * (query, key) pairs one head actually computes: all Lq·Lkv, or with causal (offset
 * Lkv − Lq) Σ_i min(Lkv, i + Lkv − Lq + 1). 4·D flops each: the useful work.
 */
export function visiblePairs(c: AttentionCase): number {
  if (!c.causal) return c.Lq * c.Lkv;
  const off = c.causalOffset ?? c.Lkv - c.Lq;
  let n = 0;
  for (let i = 0; i < c.Lq; i++) n += Math.max(0, Math.min(c.Lkv, i + off + 1));
  return n;
}

/**
 * attention()'s correctness suite (test/attention.test.ts), which the worker pool runs too
 * (test/pool.test.ts, test/browser/pool.test.ts): every size case and 120 random ones, then
 * the small ones again with tiny blocks (TINY_BLOCKS), where every block edge, the
 * decode/flash switch and the short last tiles are exercised.
 */
export const suiteCases: AttentionCase[] = [...sizeCases, ...randomCases(120)];
export const tinyBlockCases: AttentionCase[] = suiteCases.filter((c) => c.Lq * c.Lkv <= 20_000);
export const TINY_BLOCKS = { blockQ: 8, blockK: 4, decodeMaxRows: 2 } as const;
