// Compares a float32 result with the float64 reference element by element.
// NaN must sit exactly where the reference has NaN, ±∞ must match exactly, and every
// finite element must be within `tol` (absolute; see tolerance.ts for where it comes from).
export interface Mismatch { index: number; got: number; want: number; tol: number }

export function compare(got: ArrayLike<number>, want: ArrayLike<number>, tol: number | ((want: number) => number)): Mismatch | null {
  if (got.length !== want.length) return { index: -1, got: got.length, want: want.length, tol: 0 };
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    const t = typeof tol === "number" ? tol : tol(w);
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return { index: i, got: g, want: w, tol: t };
    } else if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (g !== w) return { index: i, got: g, want: w, tol: t };
    } else if (!(Math.abs(g - w) <= t)) {
      return { index: i, got: g, want: w, tol: t };
    }
  }
  return null;
}

export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) { const a = Math.abs(xs[i]!); if (a > m && Number.isFinite(a)) m = a; }
  return m;
}

/** Largest Euclidean norm over rows of length D (a bound on |q·k| with Cauchy–Schwarz). */
export function maxRowNorm(xs: ArrayLike<number>, D: number): number {
  let m = 0;
  for (let r = 0; r * D < xs.length; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += xs[r * D + d]! ** 2;
    if (s > m && Number.isFinite(s)) m = s;
  }
  return Math.sqrt(m);
}
