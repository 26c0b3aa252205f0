// The microkernels on their own, on every wasm build: exp (f32-exp-rr2-p6), row softmax
// (f32-softmax-rows-rr2p6), softcap (f32-softcap-tanh) and the gemm tile
// (f32-gemm-nn-2x16-simd with its 1x32 tails) against float64, with tile-boundary sweeps.
import { beforeAll, describe, expect, test } from "vitest";
import { current } from "../src/state.js";
import type { KernelExports, WasmEngine } from "../src/abi.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { Rng } from "./util/rng.js";

const U = 2 ** -24;

function kernels(): { k: KernelExports; base: number; f32: () => Float32Array } {
  const engine = current!.engine as WasmEngine;
  const base = engine.exports.heapBase();
  engine.ensure("test", base + (64 << 20), []);
  return { k: engine.exports, base, f32: () => new Float32Array(engine.exports.memory.buffer) };
}

for (const build of runnableBuilds().filter((b) => b !== "js")) {
  describe(`kernels (${build})`, () => {
    beforeAll(() => useBuild(build));

    // The two exponentials, each over its softmax range (down to its flush threshold) and
    // at its special values: [input, expected output] (0 exact, NaN, or a value to 1e-6).
    const exps = [
      {
        name: "exp", fn: "expInPlace", lo: -87, ref: Math.exp,
        special: [[-Infinity, 0], [NaN, NaN], [-88, 0], [-100, 0], [-1e30, 0], [0, 1]],
      },
      {
        name: "exp2 (the fused kernel's softmax)", fn: "exp2InPlace", lo: -126, ref: (x: number) => 2 ** x,
        special: [[-Infinity, 0], [NaN, NaN], [-126.5, 0], [-200, 0], [-1e30, 0], [0, 1], [-1, 0.5], [-0.5, Math.SQRT1_2]],
      },
    ] as const;
    for (const e of exps) {
      test(`${e.name}: relative error ≤ 1e-6 over [${e.lo}, 0], exact 0 below and for −∞, NaN for NaN`, () => {
        const { k, base, f32 } = kernels();
        const n = 200_003; // not a multiple of 4: the scalar tail runs too
        const xs = new Float32Array(n);
        for (let i = 0; i < n; i++) xs[i] = e.lo * (i / (n - 1));
        xs[0] = -0; xs[1] = -1e-30;
        f32().set(xs, base >> 2);
        k[e.fn](base, n);
        const ys = f32().subarray(base >> 2, (base >> 2) + n);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const want = e.ref(xs[i]!);
          worst = Math.max(worst, Math.abs(ys[i]! - want) / want);
        }
        // The issue's requirement is 1e-6; the algorithms' own bound is about 2.5e-7
        // (Taylor truncation 1.2e-7 plus a few roundings).
        expect(worst).toBeLessThan(1e-6);
        console.log(`${build}: ${e.fn} max relative error over [${e.lo}, 0]: ${worst.toExponential(2)}`);
        f32().set(e.special.map(([x]) => x), base >> 2);
        k[e.fn](base, e.special.length);
        const got = f32().subarray(base >> 2, (base >> 2) + e.special.length);
        e.special.forEach(([x, want], i) => {
          if (Number.isNaN(want)) expect(got[i], `${e.fn}(${x})`).toBeNaN();
          else if (want === 0) expect(Object.is(got[i], 0), `${e.fn}(${x}) is +0, got ${got[i]}`).toBe(true);
          else expect(Math.abs(got[i]! - want) / want, `${e.fn}(${x})`).toBeLessThan(1e-6);
        });
      });
    }

    test("softmax rows: lengths 1..33 and 1000, logits in 90..100, −∞ entries, fully masked and NaN rows", () => {
      const { k, base, f32 } = kernels();
      const rng = new Rng(11);
      for (const n of [...Array.from({ length: 33 }, (_, i) => i + 1), 1000]) {
        const rows = 5, ld = n + 3; // a row stride that is not the row length
        const x = new Float32Array(rows * ld);
        for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) x[r * ld + j] = 90 + 10 * rng.next();
        for (let j = 0; j < n; j += 3) x[1 * ld + j] = -Infinity; // masked keys in row 1
        for (let j = 0; j < n; j++) x[2 * ld + j] = -Infinity; // row 2 fully masked
        x[3 * ld + (n >> 1)] = NaN; // row 3 has a NaN
        f32().set(x, base >> 2);
        k.softmaxRows(base, rows, n, ld * 4);
        const y = f32().slice(base >> 2, (base >> 2) + rows * ld);
        for (const r of [0, 1, 4]) {
          const row = Array.from(x.subarray(r * ld, r * ld + n));
          const m = Math.max(...row);
          // A row whose every entry is −∞ (row 1 when n = 1) is fully masked: zeros.
          const e = row.map((v) => (m === -Infinity ? 0 : Math.exp(v - m)));
          const s = e.reduce((a, b) => a + b, 0);
          for (let j = 0; j < n; j++) {
            const want = s === 0 ? 0 : e[j]! / s;
            // relative 1e-6 (the bound for exp after max subtraction) plus the
            // sum's γ_n·p on each probability.
            const tol = want * (1e-6 + 2 * n * U) + 1e-45;
            if (want === 0) expect(Object.is(y[r * ld + j], 0), `n=${n} row ${r} col ${j}: masked`).toBe(true);
            else expect(Math.abs(y[r * ld + j]! - want), `n=${n} row ${r} col ${j}`).toBeLessThanOrEqual(tol);
          }
        }
        for (let j = 0; j < n; j++) expect(Object.is(y[2 * ld + j], 0)).toBe(true);
        for (let j = 0; j < n; j++) expect(Number.isNaN(y[3 * ld + j])).toBe(true);
        // the stride gap is untouched
        for (let r = 0; r < rows; r++) for (let j = n; j < ld; j++) expect(y[r * ld + j]).toBe(0);
      }
    });

    test("softcap: c·tanh(s/c) within 1e-6 relative (plus u·|s| absolute), odd, saturates at ±c", () => {
      const { k, base, f32 } = kernels();
      for (const c of [0.5, 2, 30]) {
        const n = 10_001;
        const s = new Float32Array(n);
        for (let i = 0; i < n; i++) s[i] = (i / (n - 1) - 0.5) * 20 * c;
        s[5] = 1e-20; s[6] = -1e-8; s[7] = Infinity; s[8] = -Infinity; s[9] = NaN;
        f32().set(s, base >> 2);
        k.softcap(base, n, c);
        const y = f32().subarray(base >> 2, (base >> 2) + n);
        for (let i = 0; i < n; i++) {
          if (i === 9) { expect(Number.isNaN(y[i])).toBe(true); continue; }
          const want = c * Math.tanh(s[i]! / c);
          expect(Math.abs(y[i]! - want), `c=${c} s=${s[i]}`).toBeLessThanOrEqual(1e-6 * Math.abs(want) + U * Math.abs(want) + 1e-45);
        }
      }
    });

    test("gemm 2×16 tile (1×32 tails): every m, n, k around the tile, strided A, accumulate", () => {
      const { k, base, f32 } = kernels();
      const rng = new Rng(5);
      for (const m of [1, 2, 3, 4, 5, 7, 8, 9, 13]) {
        for (const n of [1, 4, 7, 8, 9, 16, 17, 24, 33]) {
          for (const kk of [0, 1, 3, 4, 5, 17]) {
            for (const accumulate of [false, true]) {
              const n8 = Math.ceil(n / 8) * 8;
              const aRs = kk + 2, aCs = 1; // A row-major with a gap
              const ldb = n8 + 4, ldc = n8 + 8;
              const A = rng.uniform(m * aRs, -1, 1), B = rng.uniform(kk * ldb + 8, -1, 1), C = rng.uniform(m * ldc, -1, 1);
              const aOff = base, bOff = aOff + A.length * 4 + 64, cOff = bOff + B.length * 4 + 64;
              const mem = f32();
              mem.set(A, aOff >> 2); mem.set(B, bOff >> 2); mem.set(C, cOff >> 2);
              k.gemm(m, n, kk, aOff, aRs * 4, aCs * 4, bOff, ldb * 4, cOff, ldc * 4, accumulate);
              const got = f32().slice(cOff >> 2, (cOff >> 2) + C.length);
              for (let r = 0; r < m; r++) {
                for (let c = 0; c < ldc; c++) {
                  if (c >= n8) { expect(got[r * ldc + c], "beyond the padded columns").toBe(C[r * ldc + c]); continue; }
                  if (c >= n) continue; // padding columns hold junk by contract
                  let want = accumulate ? C[r * ldc + c]! : 0, mag = Math.abs(want);
                  for (let p = 0; p < kk; p++) { const t = A[r * aRs + p]! * B[p * ldb + c]!; want += t; mag += Math.abs(t); }
                  // Dot product of length k (plus the accumulated value): γ_(k+1)·Σ|terms| (Higham §3.1).
                  const tol = ((kk + 1) * U / (1 - (kk + 1) * U)) * mag + 1e-45;
                  expect(Math.abs(got[r * ldc + c]! - want), `m${m} n${n} k${kk} acc${accumulate} (${r},${c})`).toBeLessThanOrEqual(tol);
                }
              }
            }
          }
        }
      }
    });
  });
}
