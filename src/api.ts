// Everything every entry point exports, except init(), whose default loading differs
// by runtime (index.ts: Node, Deno, Bun; the web and workerd entries load the .wasm
// their own way; core.ts does no I/O). No I/O here, no top-level await.
export { initSync, type InitOptions, type InitResult, type WasmSource } from "./loader.js";
export { attention, attentionReference } from "./attention.js";
export {
  onnxAttention, type OnnxAttentionInputs, type OnnxAttentionAttributes, type OnnxAttentionOptions,
  type OnnxAttentionOutputs, type OnnxTensor, type OnnxOutputName,
} from "./onnx.js";
export type { Tensor, Float32Tensor, Build, AttentionOptions, AttentionResult } from "./types.js";
export { KVCache, type KVCacheOptions } from "./kv-cache.js";
export {
  MultiHeadAttention, selfAttention, weightsFromPyTorch,
  type AttentionWeights, type MultiHeadAttentionOptions, type ForwardOptions, type ForwardResult,
} from "./multi-head-attention.js";
