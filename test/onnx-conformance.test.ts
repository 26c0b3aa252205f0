// The 76 official ONNX `Attention` backend cases (opsets 23 and 24), read at test time
// from ../shared/conformance/onnx-attention/cases (not copied into this repository; see
// that folder's README for their origin and license) by test/util/onnx-cases.ts, in Node
// and in Chromium alike. Every case runs on every build this engine runs, at the official
// tolerance (rtol 1e-3, atol 1e-7) and, for float32 outputs, also at rtol 1e-5, atol 1e-6.
// Where the folder is absent, this file says so and skips; the rest of the suite still runs.
import { describe, expect, test, beforeAll } from "vitest";
import { onnxAttention } from "../src/index.js";
import { f16ToF32, f32ToF16 } from "../src/float16.js";
import type { Tensor } from "../src/types.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { CASES_DIR, onnxCases, type JsonTensor } from "./util/onnx-cases.js";

const OFFICIAL = { rtol: 1e-3, atol: 1e-7 };
const TIGHT = { rtol: 1e-5, atol: 1e-6 };

const num = (x: number | string | boolean) => (typeof x === "string" ? Number(x) : Number(x)); // "NaN", "-Infinity" strings too

function toTensor(t: JsonTensor): Tensor {
  switch (t.dtype) {
    case "float32": return { data: Float32Array.from(t.data, num), dims: t.dims, type: "float32" };
    case "float16": return { data: Uint16Array.from(t.data, (x) => f32ToF16(num(x))), dims: t.dims, type: "float16" };
    case "bool": return { data: Uint8Array.from(t.data, (x) => (x ? 1 : 0)), dims: t.dims, type: "bool" };
    case "int64": return { data: BigInt64Array.from(t.data, (x) => BigInt(num(x))), dims: t.dims, type: "int64" };
  }
}

/** numpy.testing.assert_allclose: |a − e| ≤ atol + rtol·|e|, infinities equal, NaN matches NaN. */
function allclose(got: ArrayLike<number>, want: number[], rtol: number, atol: number): string | null {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!Number.isFinite(w) || !Number.isFinite(g)) { if (g !== w) return `[${i}] ${g} vs ${w}`; continue; }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return `[${i}] ${g} vs ${w} (|diff| ${Math.abs(g - w)} > ${atol + rtol * Math.abs(w)})`;
  }
  return null;
}

const cases = onnxCases;
const present = cases.length > 0;
if (!present) {
  console.warn(`ONNX conformance cases not found at ${CASES_DIR}: the 76 conformance tests are SKIPPED.`);
}

describe.skipIf(!present)("ONNX Attention conformance", () => {
  test("all 76 cases are there", () => expect(cases.length).toBe(76));

  for (const build of runnableBuilds()) {
    describe(build, () => {
      beforeAll(() => useBuild(build));
      test.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
        const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, toTensor(t)]));
        const outputs = Object.keys(c.outputs) as ("Y" | "present_key" | "present_value" | "qk_matmul_output")[];
        const got = onnxAttention(inputs as never, c.attributes, { opset: c.opset, outputs });
        expect(Object.keys(got).sort()).toEqual([...outputs].sort());
        for (const name of outputs) {
          const want = c.outputs[name]!;
          const g = got[name]!;
          expect(g.dims, `${name} dims`).toEqual(want.dims);
          expect(g.type, `${name} type`).toBe(want.dtype);
          const values = g.type === "float16" ? Array.from(g.data, f16ToF32) : g.data;
          const expected = want.data.map(num);
          const off = allclose(values, expected, OFFICIAL.rtol, OFFICIAL.atol);
          expect(off, `${name} at the official tolerance`).toBeNull();
          if (want.dtype === "float32") {
            const offTight = allclose(values, expected, TIGHT.rtol, TIGHT.atol);
            expect(offTight, `${name} at rtol 1e-5, atol 1e-6`).toBeNull();
          }
        }
      });
    });
  }
});

test.runIf(!present)("ONNX conformance cases are absent: skipped (see the warning above)", () => {
  expect(present).toBe(false);
});
