// Error bounds for float32 attention against the float64 reference, derived from the
// arithmetic rather than picked (u = 2^-24, the float32 unit roundoff).
//
// Scores s = scale·q·k: a float32 dot product of length Dk has error
//   |δs| ≤ γ_Dk · scale · Σ_d |q_d k_d|,  γ_n = n·u / (1 − n·u)      (Higham, Accuracy and
//   Stability of Numerical Algorithms, 2nd ed., §3.1), plus one rounding for the scale.
// Softcap c·tanh(s/c) is 1-Lipschitz, so it passes δs on; its own tanh adds ≤ 4e-7·c.
// p_j = e^(s_j − m): relative error ≤ 2·|δs| (the max carries δs too) + ε_exp, where
// ε_exp = 4e-7 bounds the kernel's exp (measured 2.4e-7 in test/kernels.test.ts) with the
// subtraction's rounding.
// out = Σ p_j v_j / Σ p_j with p_j ≥ 0: each weight's relative error is that of p_j
// twice (numerator and the sum), plus γ_(Lkv+4) for the two sums of ≤ Lkv terms, the
// division and the online-softmax rescalings; the output is a convex combination of v,
// so |δout| ≤ max|v| · (2·(2|δs| + ε_exp) + γ_(2·Lkv+8)).
// The same reasoning gives lse = m + ln Σ p: |δlse| ≤ 2|δs| + ε_exp + γ_(Lkv+4) + |lse|·u,
// and a probability p ≤ 1: |δp| ≤ 2·(2|δs| + ε_exp) + γ_(Lkv+4).
const U = 2 ** -24;
const EPS_EXP = 4e-7;

function gamma(n: number): number {
  return (n * U) / (1 - n * U);
}

export interface Bounds {
  out: number;
  lse: (lse: number) => number;
  weights: number;
}

/**
 * Bounds for one call. maxAbsScore is max over unmasked (i, j) of scale·Σ_d |q_d k_d|
 * (the caller computes it from the inputs); maxV = max |v|; softcap the cap or 0.
 */
export function attentionBounds(Dk: number, Lkv: number, maxAbsScore: number, maxV: number, softcap: number): Bounds {
  const ds = gamma(Dk + 1) * maxAbsScore + (softcap ? 4e-7 * softcap : 0);
  const dp = 2 * ds + EPS_EXP;
  return {
    out: maxV * (2 * dp + gamma(2 * Lkv + 8)) + 1e-30,
    lse: (lse: number) => dp + gamma(Lkv + 4) + Math.abs(lse) * U,
    weights: 2 * dp + gamma(Lkv + 4),
  };
}

/**
 * Bound for one element of y = x·W + b computed in float32 against float64: a dot
 * product of length K plus the bias, γ_(K+1)·Σ_k |x_k w_k| + u·|b| (Higham §3.1). Returns
 * the largest such bound over the output ([M, K] · [K, N]).
 */
export function matmulBound(x: ArrayLike<number>, M: number, K: number, w: ArrayLike<number>, N: number, b?: ArrayLike<number>): number {
  let worst = 0;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b ? Math.abs(b[n]!) : 0;
      for (let k = 0; k < K; k++) s += Math.abs(x[m * K + k]! * w[k * N + n]!);
      worst = Math.max(worst, s);
    }
  }
  return gamma(K + 1) * worst;
}

/**
 * Bound for multi-head attention end to end: projections (δq, δk, δv from matmulBound),
 * attention on perturbed inputs, then the output projection.
 *   δs ≤ scale·√Dk·(max‖q‖·δk + δq·max‖k‖) + the attention's own score error
 *   δO ≤ attentionBounds(...).out + δv          (O is a convex combination of v rows)
 *   δY ≤ matmulBound(O, W_O) + δO·max_c Σ_r |W_O[r, c]|
 */
export function mhaBound(p: {
  Dk: number; Lkv: number; scale: number; maxQ: number; maxK: number; maxV: number;
  dq: number; dk: number; dv: number; softcap: number; outProj?: { bound: number; colAbsSum: number };
}): number {
  const extra = Math.abs(p.scale) * Math.sqrt(p.Dk) * (p.maxQ * p.dk + p.dq * p.maxK);
  const a = attentionBounds(p.Dk, p.Lkv, Math.abs(p.scale) * p.maxQ * p.maxK, p.maxV, p.softcap);
  const dO = a.out + p.maxV * 4 * extra + p.dv;
  return p.outProj ? p.outProj.bound + dO * p.outProj.colAbsSum : dO;
}
