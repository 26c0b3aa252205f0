/** A tensor as onnxruntime-web shapes it: an `ort.Tensor` passes as is. */
export interface Tensor<T extends ArrayLike<number | bigint> = ArrayLike<number | bigint>> {
  /** Row-major elements. */
  readonly data: T;
  /** Dimensions, outermost first. */
  readonly dims: readonly number[];
  /** onnxruntime's element type name ('float32', 'float16', 'bool', 'int64', ...); optional. */
  readonly type?: string;
}

export type Float32Tensor = Tensor<Float32Array>;

/** The build a call runs on: three wasm builds of one source, and the plain-TypeScript fallback. */
export type Build = "relaxed-simd" | "simd" | "scalar" | "js";

export interface AttentionOptions {
  /** Query heads; required for the 3D layout [B, L, H·D], checked against dims[1] for 4D. */
  numHeads?: number;
  /** Key/value heads (GQA/MQA); default numHeads. Query head h uses kv head floor(h / (Hq / Hkv)). */
  numKvHeads?: number;
  /** Multiplies q·k; default 1/√Dk. Must be finite. */
  scale?: number;
  /** Causal masking: query i sees key j when j ≤ i + causalOffset. */
  causal?: boolean;
  /** Default Lkv − Lq (bottom-right alignment, right for decoding); 0 is PyTorch's top-left. Needs causal. */
  causalOffset?: number;
  /**
   * Bool (Uint8Array, nonzero = attend, as in PyTorch SDPA and ONNX) or additive
   * (Float32Array, added to the scores; −Infinity excludes a key). Broadcast to
   * [B, Hq, Lq, Lkv] from any trailing-aligned shape whose dims are equal or 1.
   */
  mask?: Tensor<Uint8Array> | Tensor<Float32Array>;
  /** Per-batch count of valid keys (length B, each 0..Lkv); keys at or past it are masked. */
  keyLengths?: Int32Array | readonly number[];
  /** Logit soft-capping c·tanh(s/c) on the scaled scores, before the mask; 0 (default) is off. */
  softcap?: number;
  /** Write the output here instead of allocating (length ≥ the output's size). */
  out?: Float32Array;
  /** Also return log-sum-exp of the masked scores, [B, Hq, Lq]; −Infinity for a fully masked row. */
  returnLse?: boolean;
  /** Also return the attention probabilities, [B, Hq, Lq, Lkv]. */
  returnWeights?: boolean;
}

export interface AttentionResult {
  /** [B, Hq, Lq, Dv] (4D) or [B, Lq, Hq·Dv] (3D). */
  data: Float32Array;
  dims: number[];
  /** With returnLse: [B, Hq, Lq]. */
  lse?: { data: Float32Array; dims: number[] };
  /** With returnWeights: [B, Hq, Lq, Lkv]. */
  weights?: { data: Float32Array; dims: number[] };
}
