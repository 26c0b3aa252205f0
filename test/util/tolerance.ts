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
