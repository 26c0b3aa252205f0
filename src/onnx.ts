// onnxAttention: the ONNX `Attention` operator (opsets 23 and 24), on the same kernels.
// Semantics (../shared/conformance/onnx-attention/SPEC.md): 3D inputs split by
// q_num_heads / kv_num_heads (head-major); past_key/past_value (always 4D) are prepended
// to K/V and returned as present_*; causal is top-left (offset 0) unless there is a past
// (offset P) or nonpad_kv_seqlen (offset nonpad[b] − Sq, per batch); nonpad_kv_seqlen
// masks keys ≥ nonpad[b]; a bool mask attends where true, a float mask is added; in
// opset 24 a mask whose key axis is shorter than T is padded with −∞ (never broadcast);
// softcap comes before the mask; fully masked rows give zeros; float16 tensors are
// computed in float32 and rounded once.
import type { Tensor } from "./types.js";
import { checkInt, checkOptionNames, checkRank, checkTensor, describe, shapeString } from "./check.js";
import { broadcastMask, strides3, strides4, type Plan } from "./plan.js";
import { runPlan } from "./attention.js";
import { requireState } from "./state.js";
import { narrowF16, widenF16 } from "./float16.js";

export interface OnnxAttentionInputs {
  Q: Tensor; K: Tensor; V: Tensor;
  attn_mask?: Tensor; past_key?: Tensor; past_value?: Tensor;
  /** int64 (BigInt64Array), Int32Array or number[]; opset 24. */
  nonpad_kv_seqlen?: Tensor;
}

export interface OnnxAttentionAttributes {
  is_causal?: number; scale?: number; q_num_heads?: number; kv_num_heads?: number; softcap?: number;
  /** TensorProto type of the softmax: 1 float, 10 float16, 11 double, 16 bfloat16. Computed in float32 whatever it says. */
  softmax_precision?: number;
  qk_matmul_output_mode?: number;
}

export type OnnxOutputName = "Y" | "present_key" | "present_value" | "qk_matmul_output";

export interface OnnxAttentionOptions {
  /** 23 or 24 (default 24). */
  opset?: number;
  /** Which outputs to compute (default all four). */
  outputs?: readonly OnnxOutputName[];
}

export interface OnnxTensor { data: Float32Array | Uint16Array; dims: number[]; type: "float32" | "float16" }

export interface OnnxAttentionOutputs {
  Y?: OnnxTensor; present_key?: OnnxTensor; present_value?: OnnxTensor; qk_matmul_output?: OnnxTensor;
}

const FN = "onnxAttention";
const INPUT_NAMES = ["Q", "K", "V", "attn_mask", "past_key", "past_value", "nonpad_kv_seqlen"];
const ATTRIBUTE_NAMES = ["is_causal", "scale", "q_num_heads", "kv_num_heads", "softcap", "softmax_precision", "qk_matmul_output_mode"];
const OUTPUT_NAMES: readonly OnnxOutputName[] = ["Y", "present_key", "present_value", "qk_matmul_output"];

type FloatType = "float32" | "float16";

/** A float tensor's data as float32, and which type it came in. */
function floatInput(name: string, t: Tensor): { data: Float32Array; type: FloatType; raw: Float32Array | Uint16Array } {
  const d = t.data;
  if (d instanceof Float32Array) {
    if (t.type !== undefined && t.type !== "float32") throw new TypeError(`${FN}: ${name}.type is '${t.type}' but its data is a Float32Array`);
    return { data: d, type: "float32", raw: d };
  }
  if (d instanceof Uint16Array && (t.type === undefined || t.type === "float16")) return { data: widenF16(d), type: "float16", raw: d };
  throw new TypeError(`${FN}: ${name}.data must be a Float32Array (float32) or a Uint16Array of float16 bits, got ${describe(d)}`);
}

function intAttr(name: string, x: unknown, def: number): number {
  if (x === undefined) return def;
  return checkInt(FN, `attributes.${name}`, x, -(2 ** 31));
}

function floatAttr(name: string, x: unknown): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== "number") throw new TypeError(`${FN}: attributes.${name} must be a number, got ${describe(x)}`);
  if (!Number.isFinite(x)) throw new RangeError(`${FN}: attributes.${name} must be finite, got ${x}`);
  return x;
}

/** Concatenates past [B, H, P, D] and new (any strides) along the sequence into [B, H, P+S, D]. */
function concatPast(
  past: Float32Array | Uint16Array | null, P: number, cur: Float32Array | Uint16Array, s: readonly number[],
  B: number, H: number, S: number, D: number,
): Float32Array | Uint16Array {
  const T = P + S;
  const out = cur instanceof Float32Array ? new Float32Array(B * H * T * D) : new Uint16Array(B * H * T * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const o = (b * H + h) * T * D;
      if (past && P > 0) out.set(past.subarray((b * H + h) * P * D, (b * H + h + 1) * P * D), o);
      const src = b * s[0]! + h * s[1]!;
      if (s[2] === D) out.set(cur.subarray(src, src + S * D), o + P * D);
      else for (let l = 0; l < S; l++) out.set(cur.subarray(src + l * s[2]!, src + l * s[2]! + D), o + (P + l) * D);
    }
  }
  return out;
}

function asFloatOutput(x: Float32Array, type: FloatType, dims: number[]): OnnxTensor {
  return type === "float16" ? { data: narrowF16(x), dims, type } : { data: x, dims, type };
}

/**
 * The ONNX Attention operator, opsets 23 and 24. Inputs by role name (an ort.Tensor
 * passes as is; float16 as Uint16Array bits). Returns Y, present_key, present_value and
 * qk_matmul_output, or those named in options.outputs.
 */
export function onnxAttention(
  inputs: OnnxAttentionInputs, attributes?: OnnxAttentionAttributes, options?: OnnxAttentionOptions,
): OnnxAttentionOutputs {
  requireState(FN);
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) throw new TypeError(`${FN}: inputs must be an object { Q, K, V, ... }, got ${describe(inputs)}`);
  checkOptionNames(FN, "input", inputs, INPUT_NAMES);
  const attrs = (attributes ?? {}) as OnnxAttentionAttributes;
  if (typeof attrs !== "object" || Array.isArray(attrs)) throw new TypeError(`${FN}: attributes must be an object, got ${describe(attributes)}`);
  checkOptionNames(FN, "attribute", attrs, ATTRIBUTE_NAMES);
  const opts = (options ?? {}) as OnnxAttentionOptions;
  if (typeof opts !== "object" || Array.isArray(opts)) throw new TypeError(`${FN}: options must be an object, got ${describe(options)}`);
  checkOptionNames(FN, "option", opts, ["opset", "outputs"]);
  const opset = opts.opset ?? 24;
  if (opset !== 23 && opset !== 24) throw new RangeError(`${FN}: options.opset must be 23 or 24, got ${describe(opset)}`);
  let wanted: readonly OnnxOutputName[] = OUTPUT_NAMES;
  if (opts.outputs !== undefined) {
    if (!Array.isArray(opts.outputs)) throw new TypeError(`${FN}: options.outputs must be an array of output names, got ${describe(opts.outputs)}`);
    for (const n of opts.outputs) {
      if (!OUTPUT_NAMES.includes(n)) throw new TypeError(`${FN}: options.outputs has unknown output ${describe(n)}; known: ${OUTPUT_NAMES.join(", ")}`);
    }
    wanted = opts.outputs;
  }

  // Tensors and their float types.
  const Qt = checkTensor(FN, "Q", inputs.Q), Kt = checkTensor(FN, "K", inputs.K), Vt = checkTensor(FN, "V", inputs.V);
  const Q = floatInput("Q", Qt), K = floatInput("K", Kt), V = floatInput("V", Vt);
  checkRank(FN, "Q", Qt, [3, 4]);
  const rank = Qt.dims.length;
  if (Kt.dims.length !== rank) throw new RangeError(`${FN}: K must have Q's rank ${rank}, got ${shapeString(Kt.dims)}`);
  if (Vt.dims.length !== rank) throw new RangeError(`${FN}: V must have Q's rank ${rank}, got ${shapeString(Vt.dims)}`);

  // Sizes, as SPEC.md §1: B, Hq, Hkv, Sq, Skv, Dk, Dv.
  const qn = attrs.q_num_heads, kvn = attrs.kv_num_heads;
  let B: number, Hq: number, Hkv: number, Sq: number, Skv: number, Dk: number, Dv: number;
  if (rank === 4) {
    [B, Hq, Sq, Dk] = Qt.dims as [number, number, number, number];
    Hkv = Kt.dims[1]!; Skv = Kt.dims[2]!; Dv = Vt.dims[3]!;
    if (qn !== undefined && qn !== Hq) throw new RangeError(`${FN}: attributes.q_num_heads is ${describe(qn)} but 4D Q ${shapeString(Qt.dims)} has ${Hq} heads`);
    if (kvn !== undefined && kvn !== Hkv) throw new RangeError(`${FN}: attributes.kv_num_heads is ${describe(kvn)} but 4D K ${shapeString(Kt.dims)} has ${Hkv} heads`);
    if (Kt.dims[3] !== Dk) throw new RangeError(`${FN}: K head size (dims[3]) must equal Q's ${Dk}, got K ${shapeString(Kt.dims)}`);
    if (Vt.dims[1] !== Hkv || Vt.dims[2] !== Skv) throw new RangeError(`${FN}: V ${shapeString(Vt.dims)} must match K ${shapeString(Kt.dims)} in heads and length`);
  } else {
    if (qn === undefined || kvn === undefined) {
      throw new TypeError(`${FN}: 3D inputs need attributes.q_num_heads and attributes.kv_num_heads, got ${describe(qn)} and ${describe(kvn)}`);
    }
    Hq = checkInt(FN, "attributes.q_num_heads", qn, 1);
    Hkv = checkInt(FN, "attributes.kv_num_heads", kvn, 1);
    [B, Sq] = Qt.dims as [number, number];
    Skv = Kt.dims[1]!;
    if (Qt.dims[2]! % Hq !== 0) throw new RangeError(`${FN}: Q hidden size ${Qt.dims[2]} is not a multiple of q_num_heads ${Hq}`);
    Dk = Qt.dims[2]! / Hq;
    if (Kt.dims[2] !== Hkv * Dk) throw new RangeError(`${FN}: K hidden size must be kv_num_heads·Dk = ${Hkv * Dk}, got K ${shapeString(Kt.dims)}`);
    if (Vt.dims[2]! % Hkv !== 0) throw new RangeError(`${FN}: V hidden size ${Vt.dims[2]} is not a multiple of kv_num_heads ${Hkv}`);
    Dv = Vt.dims[2]! / Hkv;
    if (Vt.dims[1] !== Skv) throw new RangeError(`${FN}: V length (dims[1]) must equal K's ${Skv}, got V ${shapeString(Vt.dims)}`);
  }
  if (Kt.dims[0] !== B || Vt.dims[0] !== B) throw new RangeError(`${FN}: Q, K and V must share the batch size ${B}, got K ${shapeString(Kt.dims)}, V ${shapeString(Vt.dims)}`);
  if (Hq < 1 || Hkv < 1 || Hq % Hkv !== 0) throw new RangeError(`${FN}: query heads ${Hq} must be a positive multiple of key/value heads ${Hkv}`);
  if (Dk < 1 || Dv < 1) throw new RangeError(`${FN}: head sizes must be ≥ 1, got Dk = ${Dk}, Dv = ${Dv}`);
  const kS = rank === 4 ? strides4(Hkv, Skv, Dk) : strides3(Hkv, Skv, Dk);
  const vS = rank === 4 ? strides4(Hkv, Skv, Dv) : strides3(Hkv, Skv, Dv);

  // KV cache.
  const hasPastK = inputs.past_key !== undefined, hasPastV = inputs.past_value !== undefined;
  if (hasPastK !== hasPastV) throw new TypeError(`${FN}: past_key and past_value come together; got only ${hasPastK ? "past_key" : "past_value"}`);
  let P = 0;
  let pastK: Float32Array | Uint16Array | null = null, pastV: Float32Array | Uint16Array | null = null;
  if (hasPastK) {
    const pk = checkTensor(FN, "past_key", inputs.past_key), pv = checkTensor(FN, "past_value", inputs.past_value);
    checkRank(FN, "past_key", pk, [4]);
    checkRank(FN, "past_value", pv, [4]);
    P = pk.dims[2]!;
    if (pk.dims[0] !== B || pk.dims[1] !== Hkv || pk.dims[3] !== Dk) throw new RangeError(`${FN}: past_key must be [B, Hkv, P, Dk] = [${B}, ${Hkv}, P, ${Dk}], got ${shapeString(pk.dims)}`);
    if (pv.dims[0] !== B || pv.dims[1] !== Hkv || pv.dims[2] !== P || pv.dims[3] !== Dv) throw new RangeError(`${FN}: past_value must be [B, Hkv, P, Dv] = [${B}, ${Hkv}, ${P}, ${Dv}], got ${shapeString(pv.dims)}`);
    const pkf = floatInput("past_key", pk), pvf = floatInput("past_value", pv);
    if (pkf.type !== K.type || pvf.type !== V.type) throw new TypeError(`${FN}: past_key/past_value must have the types of K/V (${K.type}/${V.type}), got ${pkf.type}/${pvf.type}`);
    pastK = pkf.raw; pastV = pvf.raw;
  }
  const T = P + Skv;

  // nonpad_kv_seqlen (opset 24): padding mask and per-batch causal offset.
  let nonpad: Int32Array | null = null;
  if (inputs.nonpad_kv_seqlen !== undefined) {
    if (opset < 24) throw new TypeError(`${FN}: nonpad_kv_seqlen is an opset-24 input; options.opset is ${opset}`);
    if (hasPastK) throw new TypeError(`${FN}: nonpad_kv_seqlen (an external cache) cannot be combined with past_key/past_value`);
    const t = checkTensor(FN, "nonpad_kv_seqlen", inputs.nonpad_kv_seqlen);
    if (t.dims.length !== 1 || t.dims[0] !== B) throw new RangeError(`${FN}: nonpad_kv_seqlen must be [B] = [${B}], got ${shapeString(t.dims)}`);
    const d = t.data;
    if (!(d instanceof BigInt64Array) && !(d instanceof Int32Array) && !Array.isArray(d)) {
      throw new TypeError(`${FN}: nonpad_kv_seqlen.data must be a BigInt64Array (int64), Int32Array or number[], got ${describe(d)}`);
    }
    nonpad = new Int32Array(B);
    for (let b = 0; b < B; b++) nonpad[b] = checkInt(FN, `nonpad_kv_seqlen[${b}]`, Number(d[b]), 0, T);
  }

  // attn_mask.
  let mask: Plan["mask"] = null;
  let maskKeyLen = T;
  if (inputs.attn_mask !== undefined) {
    const m = checkTensor(FN, "attn_mask", inputs.attn_mask);
    let data: Uint8Array | Float32Array;
    let kind: "bool" | "add";
    if (m.data instanceof Uint8Array && (m.type === undefined || m.type === "bool")) { data = m.data; kind = "bool"; }
    else if (m.data instanceof Float32Array || m.data instanceof Uint16Array) { data = floatInput("attn_mask", m).data; kind = "add"; }
    else throw new TypeError(`${FN}: attn_mask.data must be a Uint8Array (bool) or a float tensor, got ${describe(m.data)}`);
    if (m.dims.length < 1) throw new RangeError(`${FN}: attn_mask must have rank ≥ 1, got a scalar`);
    const last = m.dims[m.dims.length - 1]!;
    if (last > T) throw new RangeError(`${FN}: attn_mask key axis is ${last}, longer than the ${T} keys (past + new)`);
    if (opset >= 24 && last < T) maskKeyLen = last; // padded with −∞ up to T: those keys are masked
    const target: [number, number, number, number] = [B, Hq, Sq, maskKeyLen === T ? T : last];
    mask = { kind, data, strides: broadcastMask(FN, "attn_mask", m.dims, target) };
  }

  // Attributes.
  const isCausal = intAttr("is_causal", attrs.is_causal, 0);
  if (isCausal !== 0 && isCausal !== 1) throw new RangeError(`${FN}: attributes.is_causal must be 0 or 1, got ${isCausal}`);
  const scaleAttr = floatAttr("scale", attrs.scale);
  if (scaleAttr !== undefined && scaleAttr < 0) {
    throw new RangeError(`${FN}: attributes.scale must be ≥ 0 (ONNX applies √scale to Q and K), got ${scaleAttr}`);
  }
  const softcap = Math.abs(floatAttr("softcap", attrs.softcap) ?? 0); // c·tanh(s/c) is even in c
  const precision = intAttr("softmax_precision", attrs.softmax_precision, 1);
  if (![1, 10, 11, 16].includes(precision)) throw new RangeError(`${FN}: attributes.softmax_precision must be 1, 10, 11 or 16, got ${precision}`);
  const mode = intAttr("qk_matmul_output_mode", attrs.qk_matmul_output_mode, 0);
  if (mode < 0 || mode > 3) throw new RangeError(`${FN}: attributes.qk_matmul_output_mode must be 0..3, got ${mode}`);

  // Keys: the present cache when there is a past (or when present_* is asked for), else K/V as given.
  const wantPresent = wanted.includes("present_key") || wanted.includes("present_value");
  let kData = K.data, vData = V.data, kStr = kS, vStr = vS;
  let presentK: Float32Array | Uint16Array | null = null, presentV: Float32Array | Uint16Array | null = null;
  if (hasPastK || wantPresent) {
    presentK = concatPast(pastK, P, K.raw, kS, B, Hkv, Skv, Dk);
    presentV = concatPast(pastV, P, V.raw, vS, B, Hkv, Skv, Dv);
    if (hasPastK) {
      kData = presentK instanceof Float32Array ? presentK : widenF16(presentK);
      vData = presentV instanceof Float32Array ? presentV : widenF16(presentV);
      kStr = strides4(Hkv, T, Dk); vStr = strides4(Hkv, T, Dv);
    }
  }

  let keyLengths: Int32Array | null = nonpad;
  if (maskKeyLen < T) {
    keyLengths = keyLengths ?? new Int32Array(B).fill(T);
    for (let b = 0; b < B; b++) keyLengths[b] = Math.min(keyLengths[b]!, maskKeyLen);
  }
  const causalOffsets = new Int32Array(B);
  if (hasPastK) causalOffsets.fill(P);
  else if (nonpad) for (let b = 0; b < B; b++) causalOffsets[b] = nonpad[b]! - Sq;

  const plan: Plan = {
    B, Hq, Hkv, Lq: Sq, Lkv: T, Dk, Dv,
    q: Q.data, qStrides: rank === 4 ? strides4(Hq, Sq, Dk) : strides3(Hq, Sq, Dk),
    k: kData, kStrides: kStr, v: vData, vStrides: vStr,
    outDims: rank === 4 ? [B, Hq, Sq, Dv] : [B, Sq, Hq * Dv],
    outStrides: rank === 4 ? strides4(Hq, Sq, Dv) : strides3(Hq, Sq, Dv),
    scale: scaleAttr ?? 1 / Math.sqrt(Dk),
    softcap,
    causal: isCausal === 1,
    causalOffsets,
    keyLengths,
    mask,
    out: null,
    returnLse: false,
    returnWeights: false,
    scoresMode: wanted.includes("qk_matmul_output") ? mode : -1,
  };
  const r = runPlan(FN, plan);
  const res: OnnxAttentionOutputs = {};
  if (wanted.includes("Y")) res.Y = asFloatOutput(r.data, Q.type, plan.outDims);
  if (wanted.includes("present_key")) res.present_key = { data: presentK!, dims: [B, Hkv, T, Dk], type: K.type };
  if (wanted.includes("present_value")) res.present_value = { data: presentV!, dims: [B, Hkv, T, Dv], type: V.type };
  if (r.scores) res.qk_matmul_output = asFloatOutput(r.scores, Q.type, [B, Hq, Sq, T]);
  return res;
}
