// The per-call cost with nothing to compute: one query, one key, one head, D = 8. What
// a call costs beyond its arithmetic (checking, copying in and out, crossing into wasm,
// for onnxruntime its session.run machinery); it dominates small shapes like edge-small.
import type { BenchCase } from "../test/cases.js";

export const overheadCase: BenchCase = {
  name: "call-overhead", B: 1, Hq: 1, Hkv: 1, Lq: 1, Lkv: 1, Dk: 8, Dv: 8, layout: "4d",
  quick: true, flops: 4 * 8, what: "one query against one key: nothing to compute, the time is the cost of a call",
};
