// The benchmark's shapes (benchCases in test/cases.ts) at reduced size: the same heads
// ratio, causality and decoding through a KVCache, with at most 80 tokens, so a shape the
// suite times is first known to be right here. Also the bench's own pieces that compute:
// the plain-JS peers (whole and on a row sample) and the ONNX model it encodes by hand
// (bench/onnx-model.ts), run in onnxruntime-web. Tolerances: test/util/tolerance.ts.
import { describe, expect, test } from "vitest";
import { attention, KVCache } from "../src/index.js";
import { benchCases, makeInputs, visiblePairs, type BenchCase } from "./cases.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { attentionBounds } from "./util/tolerance.js";
import { caseInputs, maxAbsError, reference, samplePairs, sampleRows } from "../bench/inputs.js";
import { naiveAttention } from "../bench/peers/naive-js.js";
import { tunedAttention } from "../bench/peers/tuned-js.js";
import { ortWeb, ortWebPast } from "../bench/peers/onnxruntime.js";

/** The case with at most 2 kv heads (query heads in the same ratio) and at most 80 tokens. */
function reduced(c: BenchCase): BenchCase {
  const Hkv = Math.min(c.Hkv, 2), Hq = Hkv * (c.Hq / c.Hkv);
  const L = Math.min(c.Lkv, 80);
  const r: BenchCase = { ...c, name: `${c.name}-reduced`, Hq, Hkv, Lkv: L, Lq: c.kvCached !== undefined ? 1 : L };
  if (c.kvCached !== undefined) r.kvCached = L - 1;
  r.flops = 4 * Hq * r.Lq * r.Lkv * c.Dk;
  return r;
}

const cases = benchCases.map(reduced);

test("the bench cases are the issue's shapes", () => {
  const byName = Object.fromEntries(benchCases.map((c) => [c.name, c]));
  expect(Object.keys(byName)).toEqual(["edge-small", "bert-base", "bert-512", "gpt2-prefill", "gpt2-decode", "long-4k", "long-32k", "gqa-llama"]);
  for (const c of benchCases) expect(c.flops).toBe(4 * c.B * c.Hq * c.Lq * c.Lkv * c.Dk);
  expect(byName["gpt2-decode"]!.Lkv).toBe(byName["gpt2-decode"]!.kvCached! + 1);
  expect(byName["gqa-llama"]!.Hq / byName["gqa-llama"]!.Hkv).toBe(4);
  // Causal square: L(L+1)/2 visible pairs per head.
  expect(visiblePairs(byName["long-4k"]!)).toBe((4096 * 4097) / 2);
});

for (const build of runnableBuilds().filter((b) => b !== "js")) {
  describe(`bench shapes, reduced, on ${build}`, () => {
    for (const c of cases) {
      test(c.name, async () => {
        await useBuild(build);
        const inputs = caseInputs(c);
        const ref = reference(inputs, null);
        let got: Float32Array;
        if (inputs.decode) {
          const cache = new KVCache({ numKvHeads: c.Hkv, headDim: c.Dk, capacity: c.Lkv });
          cache.append(inputs.decode.kPast, inputs.decode.vPast);
          cache.append(inputs.decode.kNew, inputs.decode.vNew);
          got = cache.attention(inputs.q, { causal: true }).data;
          cache.dispose();
        } else {
          got = attention(inputs.q, inputs.k, inputs.v, c.causal ? { causal: true } : {}).data;
        }
        expect(maxAbsError(c, got, ref, undefined)).toBeLessThanOrEqual(ref.bound);
      });
    }
  });
}

describe("the bench's plain-JS peers", () => {
  for (const c of cases) {
    test(c.name, () => {
      const { q, k, v } = makeInputs(c);
      const ref = reference({ c, q, k, v }, null);
      const args = [q.data, k.data, v.data, c.Hq, c.Hkv, c.Lq, c.Lkv, c.Dk, !!c.causal] as const;
      // Both accumulate in float64: far inside the float32 bound.
      expect(maxAbsError(c, naiveAttention(...args), ref, undefined)).toBeLessThanOrEqual(ref.bound);
      expect(maxAbsError(c, tunedAttention(...args), ref, undefined)).toBeLessThanOrEqual(ref.bound);
      // On a sample: the sampled rows are right, and their pairs are counted right.
      const s = sampleRows(c);
      expect(maxAbsError(c, tunedAttention(...args, s), ref, s)).toBeLessThanOrEqual(ref.bound);
      let pairs = 0;
      for (const h of s.heads) for (const [i0, n] of s.blocks) for (let i = i0; i < i0 + n; i++) pairs += c.causal ? Math.min(c.Lkv, i + c.Lkv - c.Lq + 1) : c.Lkv;
      expect(samplePairs(c, s)).toBe(pairs);
    });
  }
});

describe("the bench's ONNX model in onnxruntime-web", () => {
  const attentionBound = (c: BenchCase) => attentionBounds(c.Dk, c.Lkv, Math.sqrt(c.Dk), 1, 0).out;
  for (const name of ["edge-small", "gpt2-prefill", "gqa-llama", "gpt2-decode"]) {
    test(name, async () => {
      const c = cases.find((x) => x.name === `${name}-reduced`)!;
      const inputs = caseInputs(c);
      const ref = reference(inputs, null);
      for (const peer of c.kvCached !== undefined ? [ortWeb, ortWebPast] : [ortWeb]) {
        const p = await peer.prepare(inputs);
        if (typeof p === "string") throw new Error(`${peer.id}: ${p}`);
        const got = await p.run();
        await p.dispose?.();
        expect(maxAbsError(c, got, ref, undefined), peer.id).toBeLessThanOrEqual(attentionBound(c));
      }
    });
  }
});
