// attention() on every build this engine runs, against the float64 reference, over the
// shared case list (test/cases.ts): the sizes kernels get wrong and random cases over
// every option; then the same with tiny blocks so small cases cross many block edges;
// then NaN containment. Tolerances: test/util/tolerance.ts.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { attention } from "../src/index.js";
import { planAttention } from "../src/plan.js";
import { referenceCompute } from "../src/reference.js";
import { setTuning, DEFAULT_TUNING } from "../src/tuning.js";
import { makeInputs, suiteCases, tinyBlockCases, TINY_BLOCKS, type AttentionCase } from "./cases.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { attentionBounds } from "./util/tolerance.js";
import { compare, maxAbs, maxRowNorm } from "./util/compare.js";

function check(c: AttentionCase): void {
  const { q, k, v, options } = makeInputs(c);
  const got = attention(q, k, v, options);
  const plan = planAttention("reference", q, k, v, { ...options, out: undefined });
  const ref = referenceCompute(plan);
  const scale = Math.abs(plan.scale);
  const maskMax = plan.mask && plan.mask.kind === "add" ? maxAbs(plan.mask.data) : 0;
  const maxScore = scale * maxRowNorm(q.data, c.Dk) * maxRowNorm(k.data, c.Dk) + maskMax;
  const bounds = attentionBounds(c.Dk, c.Lkv, maxScore, maxAbs(v.data), c.softcap ?? 0);

  expect(got.dims).toEqual(plan.outDims);
  const bad = compare(got.data, ref.out, bounds.out);
  expect(bad, `${c.name}: out[${bad?.index}] = ${bad?.got}, reference ${bad?.want}, bound ${bad?.tol}`).toBeNull();
  // Fully masked rows are exact zeros (reference lse = −∞ marks them).
  const rows = c.B * c.Hq * c.Lq;
  for (let r = 0; r < rows; r++) {
    if (ref.lse[r] !== -Infinity) continue;
    const [b, h, i] = [Math.floor(r / (c.Hq * c.Lq)), Math.floor(r / c.Lq) % c.Hq, r % c.Lq];
    const o = b * plan.outStrides[0] + h * plan.outStrides[1] + i * plan.outStrides[2];
    for (let d = 0; d < c.Dv; d++) expect(Object.is(got.data[o + d], 0), `${c.name}: masked row ${r} not +0`).toBe(true);
  }
  if (c.out) {
    const out = options.out!;
    expect(got.data.buffer).toBe(out.buffer);
    expect(Array.from(out.subarray(got.data.length))).toEqual([12345, 12345, 12345, 12345, 12345]);
  }
  if (c.returnLse) {
    expect(got.lse!.dims).toEqual([c.B, c.Hq, c.Lq]);
    const badL = compare(got.lse!.data, ref.lse, bounds.lse);
    expect(badL, `${c.name}: lse[${badL?.index}] = ${badL?.got}, reference ${badL?.want}`).toBeNull();
  } else {
    expect(got.lse).toBeUndefined();
  }
  if (c.returnWeights) {
    expect(got.weights!.dims).toEqual([c.B, c.Hq, c.Lq, c.Lkv]);
    const badW = compare(got.weights!.data, plan.returnWeights ? ref.weights! : [], bounds.weights);
    expect(badW, `${c.name}: weights[${badW?.index}] = ${badW?.got}, reference ${badW?.want}`).toBeNull();
  }
}

const cases = suiteCases;

for (const build of runnableBuilds()) {
  describe(`attention (${build})`, () => {
    beforeAll(() => useBuild(build));

    test.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => check(c));

    describe("tiny blocks", () => {
      beforeAll(() => { setTuning(TINY_BLOCKS); });
      afterAll(() => { setTuning(DEFAULT_TUNING); });
      test.each(tinyBlockCases.map((c) => [c.name, c] as const))("%s", (_, c) => check(c));
    });

    test("NaN in one element reaches only the outputs that depend on it; the next call is right", () => {
      const c: AttentionCase = { name: "nan", B: 1, Hq: 2, Hkv: 2, Lq: 40, Lkv: 40, Dk: 16, Dv: 16, layout: "4d", causal: true };
      const clean = makeInputs(c);
      const cleanOut = attention(clean.q, clean.k, clean.v, clean.options).data;
      const at = (h: number, l: number, d: number, D: number) => (h * c.Lq + l) * D + d;
      // (tensor, head, row, column) poisoned; and which outputs (head, row, column) must be NaN.
      const plants = [
        { t: "q", h: 1, l: 7, d: 3, nan: (h: number, i: number) => h === 1 && i === 7 },
        { t: "k", h: 0, l: 20, d: 5, nan: (h: number, i: number) => h === 0 && i >= 20 },
        { t: "v", h: 1, l: 30, d: 9, nan: (h: number, i: number, d: number) => h === 1 && i >= 30 && d === 9 },
      ] as const;
      for (const p of plants) {
        const x = makeInputs(c);
        const D = p.t === "v" ? c.Dv : c.Dk;
        x[p.t].data[at(p.h, p.l, p.d, D)] = NaN;
        const got = attention(x.q, x.k, x.v, x.options).data;
        for (let h = 0; h < c.Hq; h++) {
          for (let i = 0; i < c.Lq; i++) {
            for (let d = 0; d < c.Dv; d++) {
              const want = p.nan(h, i, d);
              const g = got[at(h, i, d, c.Dv)]!;
              expect(Number.isNaN(g), `${p.t} poisoned: out[${h}, ${i}, ${d}] = ${g}`).toBe(want);
              if (!want) expect(g).toBe(cleanOut[at(h, i, d, c.Dv)]);
            }
          }
        }
        // Masked keys (causal: key 30 is invisible to rows < 30) never contribute, even as NaN: checked above.
        const again = attention(clean.q, clean.k, clean.v, clean.options).data;
        expect(Array.from(again)).toEqual(Array.from(cleanOut));
      }
    });

    test("padding garbage (NaN, ±Infinity) in masked keys and values never leaks", () => {
      const c: AttentionCase = { name: "garbage", B: 2, Hq: 2, Hkv: 1, Lq: 9, Lkv: 50, Dk: 8, Dv: 8, layout: "4d", keyLengths: [20, 50] };
      const x = makeInputs(c);
      for (let j = 20; j < 50; j++) {
        for (let d = 0; d < 8; d++) {
          x.k.data[j * 8 + d] = d % 2 ? NaN : Infinity;
          x.v.data[j * 8 + d] = d % 2 ? -Infinity : NaN;
        }
      }
      const got = attention(x.q, x.k, x.v, x.options);
      const ref = referenceCompute(planAttention("reference", x.q, x.k, x.v, x.options));
      for (let i = 0; i < got.data.length; i++) expect(Number.isFinite(got.data[i])).toBe(true);
      expect(compare(got.data, ref.out, 1e-5)).toBeNull();
    });
  });
}
