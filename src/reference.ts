// The float64 reference: the same Plan as the wasm kernels, computed with plain loops
// and float64 accumulation, rounded to float32 once at the end. It is the oracle of
// every test, the 'js' build (engines without WebAssembly), and the benchmark's
// "carefully written plain JS" peer's check. Order of operations, as ONNX Attention:
// scale, softcap, mask, softmax, multiply by V.
import type { Plan } from "./plan.js";

export interface ReferenceResult {
  /** [B, Hq, Lq, Dv] in the plan's output layout (outStrides). */
  out: Float64Array;
  /** [B, Hq, Lq]. */
  lse: Float64Array;
  /** [B, Hq, Lq, Lkv] probabilities when plan.returnWeights, else null. */
  weights: Float64Array | null;
  /** [B, Hq, Lq, Lkv] scores at stage plan.scoresMode (0..3), else null. */
  scores: Float64Array | null;
}

/** Is key j of row (b, h, i) masked, and what does the mask add. */
function maskAt(plan: Plan, b: number, h: number, i: number, j: number): number {
  const m = plan.mask!;
  const [sb, sh, sl, sk] = m.strides;
  const x = m.data[b * sb + h * sh + i * sl + j * sk]!;
  if (m.kind === "bool") return x === 0 ? -Infinity : 0;
  return x;
}

export function rowLimit(plan: Plan, b: number, i: number): number {
  let hi = plan.keyLengths ? plan.keyLengths[b]! : plan.Lkv;
  if (plan.causal) hi = Math.min(hi, i + plan.causalOffsets[b]! + 1);
  return Math.max(0, Math.min(hi, plan.Lkv));
}

export function referenceCompute(plan: Plan): ReferenceResult {
  const { B, Hq, Hkv, Lq, Lkv, Dk, Dv, q, k, v, scale, softcap } = plan;
  const G = Hq / Hkv;
  const out = new Float64Array(B * Hq * Lq * Dv);
  const lse = new Float64Array(B * Hq * Lq);
  const weights = plan.returnWeights ? new Float64Array(B * Hq * Lq * Lkv) : null;
  const scores = plan.scoresMode >= 0 ? new Float64Array(B * Hq * Lq * Lkv) : null;
  const s = new Float64Array(Lkv);
  const masked = new Uint8Array(Lkv);
  const acc = new Float64Array(Dv);
  const [qsb, qsh, qsl] = plan.qStrides, [ksb, ksh, ksl] = plan.kStrides, [vsb, vsh, vsl] = plan.vStrides;
  const [osb, osh, osl] = plan.outStrides;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / G);
      for (let i = 0; i < Lq; i++) {
        const qo = b * qsb + h * qsh + i * qsl;
        const hi = rowLimit(plan, b, i);
        let m = -Infinity;
        let any = false;
        const srow = ((b * Hq + h) * Lq + i) * Lkv;
        for (let j = 0; j < Lkv; j++) {
          const ko = b * ksb + hk * ksh + j * ksl;
          let dot = 0;
          for (let d = 0; d < Dk; d++) dot += q[qo + d]! * k[ko + d]!;
          let x = dot * scale;
          if (scores && plan.scoresMode === 0) scores[srow + j] = x;
          if (softcap !== 0) x = softcap * Math.tanh(x / softcap);
          if (scores && plan.scoresMode === 1) scores[srow + j] = x;
          let off = j >= hi;
          if (!off && plan.mask) {
            const a = maskAt(plan, b, h, i, j);
            if (a === -Infinity) off = true;
            else x += a;
          }
          masked[j] = off ? 1 : 0;
          s[j] = off ? -Infinity : x;
          if (scores && plan.scoresMode === 2) scores[srow + j] = s[j]!;
          if (!off) {
            any = true;
            m = Number.isNaN(x) || Number.isNaN(m) ? NaN : Math.max(m, x);
          }
        }
        const o = b * osb + h * osh + i * osl;
        const li = (b * Hq + h) * Lq + i;
        if (!any) {
          // Fully masked row: zeros, lse −∞, zero probabilities.
          for (let d = 0; d < Dv; d++) out[o + d] = 0;
          lse[li] = -Infinity;
          if (scores && plan.scoresMode === 3) scores.fill(0, srow, srow + Lkv);
          continue;
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j < Lkv; j++) {
          if (masked[j]) continue; // never touch a masked key's value row (may hold NaN)
          const p = Math.exp(s[j]! - m);
          s[j] = p;
          sum += p;
          const vo = b * vsb + hk * vsh + j * vsl;
          for (let d = 0; d < Dv; d++) acc[d] = acc[d]! + p * v[vo + d]!;
        }
        for (let d = 0; d < Dv; d++) out[o + d] = acc[d]! / sum;
        lse[li] = m + Math.log(sum);
        for (let j = 0; j < Lkv; j++) {
          const p = masked[j] ? 0 : s[j]! / sum;
          if (weights) weights[srow + j] = p;
          if (scores && plan.scoresMode === 3) scores[srow + j] = p;
        }
      }
    }
  }
  return { out, lse, weights, scores };
}

/**
 * y = x·w (+ bias) in float64, rounded once: x [M, K] (row stride ldx), w [K, N]
 * row-major, bias [N] or null → y [M, N] float32 (row stride N). The projections' reference.
 */
export function matmulReference(
  x: Float32Array, M: number, K: number, ldx: number, w: Float32Array, N: number, bias: Float32Array | null,
): Float32Array {
  const y = new Float32Array(M * N);
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    if (bias) for (let n = 0; n < N; n++) acc[n] = bias[n]!; else acc.fill(0);
    for (let k = 0; k < K; k++) {
      const a = x[m * ldx + k]!;
      const row = k * N;
      for (let n = 0; n < N; n++) acc[n] = acc[n]! + a * w[row + n]!;
    }
    for (let n = 0; n < N; n++) y[m * N + n] = acc[n]!;
  }
  return y;
}
