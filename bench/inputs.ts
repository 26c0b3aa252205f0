// A case's inputs (test/cases.ts makeInputs: seeded, uniform in [−1, 1]), the rows a
// slow peer computes when it runs on a sample, and the float64 reference those rows are
// checked against.
import { makeInputs, visiblePairs, type BenchCase } from "../test/cases.js";
import { attentionBounds } from "../test/util/tolerance.js";
import { planAttention } from "../src/plan.js";
import { referenceCompute } from "../src/reference.js";
import type { Float32Tensor } from "../src/types.js";
import type { CaseInputs, RowSample } from "./peers/types.js";

/** Keys [1, H, L, D] restricted to positions [from, to). */
function keysSlice(t: Float32Tensor, from: number, to: number): Float32Tensor {
  const [B, H, L, D] = t.dims as [number, number, number, number];
  const n = to - from;
  const out = new Float32Array(B * H * n * D);
  for (let h = 0; h < B * H; h++) out.set(t.data.subarray((h * L + from) * D, (h * L + to) * D), h * n * D);
  return { data: out, dims: [B, H, n, D] };
}

export function caseInputs(c: BenchCase): CaseInputs {
  const { q, k, v } = makeInputs(c);
  const inputs: CaseInputs = { c, q, k, v };
  if (c.kvCached !== undefined) {
    const P = c.kvCached;
    inputs.decode = { kPast: keysSlice(k, 0, P), vPast: keysSlice(v, 0, P), kNew: keysSlice(k, P, P + 1), vNew: keysSlice(v, P, P + 1) };
  }
  return inputs;
}

/**
 * Rows for a sample: the first and last query head, 4 blocks of 32 rows (8 past 16k rows)
 * spread from the first row to the last (a causal row's work grows with its index, so
 * the spread represents the whole).
 */
export function sampleRows(c: BenchCase): RowSample {
  const heads = [...new Set([0, c.Hq - 1])];
  const n = Math.min(c.Lq >= 16384 ? 8 : 32, c.Lq);
  const starts = [...new Set([0, 1, 2, 3].map((t) => Math.round(((c.Lq - n) * t) / 3)))];
  return { heads, blocks: starts.map((s) => [s, n] as [number, number]) };
}

/** Visible (query, key) pairs in a sample. */
export function samplePairs(c: BenchCase, s: RowSample): number {
  const off = c.Lkv - c.Lq;
  let n = 0;
  for (const [i0, len] of s.blocks) {
    for (let i = i0; i < i0 + len; i++) n += c.causal ? Math.max(0, Math.min(c.Lkv, i + off + 1)) : c.Lkv;
  }
  return n * s.heads.length;
}

/** Visible pairs of the whole case (every head). */
export function casePairs(c: BenchCase): number {
  return c.Hq * visiblePairs(c);
}

/** Checked rows: every row, or a sample when the float64 reference would take too long. */
export const FULL_CHECK_PAIRS = 16 * 2 ** 20;

export interface Reference {
  /** [1, Hq, Lq, D] float64 output; NaN in rows not computed. */
  out: Float64Array;
  /** The rows computed: null = all. */
  rows: RowSample | null;
  /** The float32-vs-float64 error bound for these inputs (test/util/tolerance.ts). */
  bound: number;
  ms: number;
}

export function reference(inputs: CaseInputs, rows: RowSample | null): Reference {
  const { c, q, k, v } = inputs;
  const t0 = performance.now();
  const D = c.Dk, Dv = c.Dv;
  const out = new Float64Array(c.Hq * c.Lq * Dv).fill(NaN);
  if (!rows) {
    const plan = planAttention("reference", q, k, v, c.causal ? { causal: true } : {});
    out.set(referenceCompute(plan).out);
  } else {
    const group = c.Hq / c.Hkv;
    for (const h of rows.heads) {
      const kh = Math.floor(h / group);
      const kt = { data: k.data.subarray(kh * c.Lkv * D, (kh + 1) * c.Lkv * D), dims: [1, 1, c.Lkv, D] };
      const vt = { data: v.data.subarray(kh * c.Lkv * Dv, (kh + 1) * c.Lkv * Dv), dims: [1, 1, c.Lkv, Dv] };
      for (const [i0, n] of rows.blocks) {
        const qt = { data: q.data.subarray((h * c.Lq + i0) * D, (h * c.Lq + i0 + n) * D), dims: [1, 1, n, D] };
        // Rows i0.. of the whole case: bottom-right causal offset Lkv − Lq, shifted by i0.
        const opts = c.causal ? { causal: true, causalOffset: i0 + c.Lkv - c.Lq } : {};
        const r = referenceCompute(planAttention("reference", qt, kt, vt, opts)).out;
        out.set(r, (h * c.Lq + i0) * Dv);
      }
    }
  }
  // Inputs lie in [−1, 1]: |scale·q·k| ≤ scale·D, |v| ≤ 1.
  const bound = attentionBounds(D, c.Lkv, D / Math.sqrt(D), 1, 0).out;
  return { out, rows, bound, ms: performance.now() - t0 };
}

/** Max |got − want| over the rows both have; NaN anywhere counts as Infinity. */
export function maxAbsError(c: BenchCase, got: Float32Array, ref: Reference, computed: RowSample | undefined): number {
  const rows = computed ?? ref.rows;
  const Dv = c.Dv;
  let worst = 0;
  const visit = (h: number, i: number) => {
    const at = (h * c.Lq + i) * Dv;
    for (let d = 0; d < Dv; d++) {
      const w = ref.out[at + d]!, g = got[at + d]!;
      const e = Math.abs(g - w);
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  };
  if (!rows) {
    for (let h = 0; h < c.Hq; h++) for (let i = 0; i < c.Lq; i++) visit(h, i);
  } else {
    for (const h of rows.heads) for (const [i0, n] of rows.blocks) for (let i = i0; i < i0 + n; i++) visit(h, i);
  }
  return worst;
}
