// attention() and attentionReference(): check everything, then run on the current build.
import type { AttentionOptions, AttentionResult, Float32Tensor } from "./types.js";
import { planAttention, type Plan } from "./plan.js";
import { referenceCompute } from "./reference.js";
import { requireState } from "./state.js";

/** Runs a checked plan on the float64 reference and packages the result like the wasm path. */
export function runReference(plan: Plan): AttentionResult & { scores?: Float32Array } {
  const r = referenceCompute(plan);
  const n = r.out.length;
  let data: Float32Array;
  if (plan.out) {
    plan.out.set(r.out);
    data = plan.out.length === n ? plan.out : plan.out.subarray(0, n);
  } else {
    data = Float32Array.from(r.out);
  }
  const res: AttentionResult & { scores?: Float32Array } = { data, dims: plan.outDims };
  if (plan.returnLse) res.lse = { data: Float32Array.from(r.lse), dims: [plan.B, plan.Hq, plan.Lq] };
  if (r.weights) res.weights = { data: Float32Array.from(r.weights), dims: [plan.B, plan.Hq, plan.Lq, plan.Lkv] };
  if (r.scores) res.scores = Float32Array.from(r.scores);
  return res;
}

/** Runs a checked plan on the current build. */
export function runPlan(fn: string, plan: Plan): AttentionResult & { scores?: Float32Array } {
  const state = requireState(fn);
  return state.engine ? state.engine.run(fn, plan) : runReference(plan);
}

/**
 * Scaled dot-product attention, softmax(mask(softcap(scale · Q·Kᵀ))) · V, on the build
 * chosen by init().
 *
 * Layouts: 4D q [B, Hq, Lq, Dk], k [B, Hkv, Lkv, Dk], v [B, Hkv, Lkv, Dv] → [B, Hq, Lq, Dv];
 * or 3D q [B, Lq, Hq·Dk] etc. with options.numHeads (and numKvHeads) → [B, Lq, Hq·Dv],
 * head-major within the hidden axis. Query head h reads kv head floor(h / (Hq / Hkv)).
 * Masks: bool 1 = attend (PyTorch SDPA, ONNX) or additive float; causal is bottom-right
 * (offset Lkv − Lq) unless causalOffset says otherwise. A row with every key masked
 * gives exact zeros (lse −∞). Synchronous; throws before touching memory on bad input.
 */
export function attention(
  q: Float32Tensor, k: Float32Tensor, v: Float32Tensor, options?: AttentionOptions,
): AttentionResult {
  const fn = "attention";
  requireState(fn);
  const plan = planAttention(fn, q, k, v, options);
  const { scores: _, ...res } = runPlan(fn, plan);
  return res;
}

/** The same contract as attention(), in plain TypeScript with float64 accumulation. Needs no init(). */
export function attentionReference(
  q: Float32Tensor, k: Float32Tensor, v: Float32Tensor, options?: AttentionOptions,
): AttentionResult {
  const plan = planAttention("attentionReference", q, k, v, options);
  const { scores: _, ...res } = runReference(plan);
  return res;
}
