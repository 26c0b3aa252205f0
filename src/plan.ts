// Normalises attention() arguments into a Plan: sizes, strides and options, checked in
// full before any memory is touched. The wasm executor (abi.ts) and the float64
// reference (reference.ts) both run a Plan, so they cannot disagree about semantics.
import type { AttentionOptions, Tensor } from "./types.js";
import {
  checkBool, checkFloat32, checkInt, checkOptionNames, checkRank, checkTensor, describe, shapeString,
} from "./check.js";

/** Strides in elements: batch, head, row (elements within a row are contiguous). */
export type Strides3 = [number, number, number];

export interface PlanMask {
  kind: "bool" | "add";
  data: Uint8Array | Float32Array;
  /** Strides over (batch, head, query row, key) of the broadcast view; 0 on broadcast axes. */
  strides: [number, number, number, number];
}

export interface Plan {
  B: number; Hq: number; Hkv: number; Lq: number; Lkv: number; Dk: number; Dv: number;
  q: Float32Array; qStrides: Strides3;
  k: Float32Array; kStrides: Strides3;
  v: Float32Array; vStrides: Strides3;
  /** Output dims as the caller sees them, and the strides the kernels write with. */
  outDims: number[]; outStrides: Strides3;
  scale: number;
  softcap: number;
  causal: boolean;
  /** Per batch: query i sees key j when j ≤ i + causalOffsets[b] (used when causal). */
  causalOffsets: Int32Array;
  /** Per batch: keys j ≥ keyLengths[b] are masked; null = all Lkv keys. */
  keyLengths: Int32Array | null;
  mask: PlanMask | null;
  out: Float32Array | null;
  returnLse: boolean;
  returnWeights: boolean;
  /** ONNX qk_matmul_output: which stage of the scores to return (0..3), or −1. */
  scoresMode: number;
}

const OPTION_NAMES = [
  "numHeads", "numKvHeads", "scale", "causal", "causalOffset", "mask", "keyLengths", "softcap",
  "out", "returnLse", "returnWeights",
] as const;

/** 4D [B, H, L, D] strides. */
export function strides4(H: number, L: number, D: number): Strides3 {
  return [H * L * D, L * D, D];
}

/** 3D [B, L, H·D] strides, read as (batch, head, row). */
export function strides3(H: number, L: number, D: number): Strides3 {
  return [L * H * D, D, H * D];
}

/** Strides of a mask broadcast trailing-aligned to [B, Hq, Lq, Lkv]; throws if it does not broadcast. */
export function broadcastMask(
  fn: string, name: string, dims: readonly number[], target: readonly [number, number, number, number],
): [number, number, number, number] {
  if (dims.length > 4) {
    throw new RangeError(`${fn}: ${name} must have rank ≤ 4 to broadcast to ${shapeString(target)}, got ${shapeString(dims)}`);
  }
  const strides: [number, number, number, number] = [0, 0, 0, 0];
  let stride = 1;
  for (let a = 3, m = dims.length - 1; a >= 0; a--, m--) {
    const d = m >= 0 ? dims[m]! : 1;
    if (d !== target[a] && d !== 1) {
      const axis = ["batch", "heads", "query", "key"][a];
      throw new RangeError(
        `${fn}: ${name} ${shapeString(dims)} does not broadcast to [B, Hq, Lq, Lkv] = ${shapeString(target)}: ` +
          `its ${axis} axis is ${d}, expected ${target[a]} or 1`,
      );
    }
    strides[a] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

export function planAttention(fn: string, q: unknown, k: unknown, v: unknown, options: unknown): Plan {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  const o = options as AttentionOptions;
  checkOptionNames(fn, "option", o, OPTION_NAMES);

  const qt = checkTensor(fn, "q", q), kt = checkTensor(fn, "k", k), vt = checkTensor(fn, "v", v);
  const qd = checkFloat32(fn, "q", qt), kd = checkFloat32(fn, "k", kt), vd = checkFloat32(fn, "v", vt);
  checkRank(fn, "q", qt, [3, 4]);
  if (kt.dims.length !== qt.dims.length) {
    throw new RangeError(`${fn}: k must have the same rank as q (${qt.dims.length}), got ${shapeString(kt.dims)}`);
  }
  if (vt.dims.length !== qt.dims.length) {
    throw new RangeError(`${fn}: v must have the same rank as q (${qt.dims.length}), got ${shapeString(vt.dims)}`);
  }
  const rank = qt.dims.length;
  let B: number, Hq: number, Hkv: number, Lq: number, Lkv: number, Dk: number, Dv: number;
  const [q0, q1, q2] = qt.dims as number[];
  const [k0, k1, k2] = kt.dims as number[];
  const [v0, v1, v2] = vt.dims as number[];
  if (rank === 4) {
    [B, Hq, Lq, Dk] = qt.dims as [number, number, number, number];
    Hkv = k1!; Lkv = k2!;
    Dv = vt.dims[3]!;
    if (o.numHeads !== undefined && checkInt(fn, "numHeads", o.numHeads, 1) !== Hq) {
      throw new RangeError(`${fn}: numHeads is ${describe(o.numHeads)} but q ${shapeString(qt.dims)} has ${Hq} heads (dims[1])`);
    }
    if (o.numKvHeads !== undefined && checkInt(fn, "numKvHeads", o.numKvHeads, 1) !== Hkv) {
      throw new RangeError(`${fn}: numKvHeads is ${describe(o.numKvHeads)} but k ${shapeString(kt.dims)} has ${Hkv} heads (dims[1])`);
    }
    if (kt.dims[3] !== Dk) throw new RangeError(`${fn}: k head size (dims[3]) must equal q's ${Dk}, got k ${shapeString(kt.dims)}`);
    if (v1 !== Hkv) throw new RangeError(`${fn}: v heads (dims[1]) must equal k's ${Hkv}, got v ${shapeString(vt.dims)}`);
    if (v2 !== Lkv) throw new RangeError(`${fn}: v length (dims[2]) must equal k's ${Lkv}, got v ${shapeString(vt.dims)}`);
  } else {
    if (o.numHeads === undefined) {
      throw new TypeError(`${fn}: 3D q ${shapeString(qt.dims)} is [B, L, H·D]; options.numHeads is required to split it`);
    }
    Hq = checkInt(fn, "numHeads", o.numHeads, 1);
    Hkv = o.numKvHeads === undefined ? Hq : checkInt(fn, "numKvHeads", o.numKvHeads, 1);
    B = q0!; Lq = q1!; Lkv = k1!;
    if (q2! % Hq !== 0) throw new RangeError(`${fn}: q hidden size ${q2} (dims[2]) is not a multiple of numHeads ${Hq}`);
    Dk = q2! / Hq;
    if (k2! !== Hkv * Dk) {
      throw new RangeError(`${fn}: k hidden size (dims[2]) must be numKvHeads·Dk = ${Hkv}·${Dk} = ${Hkv * Dk}, got k ${shapeString(kt.dims)}`);
    }
    if (v2! % Hkv !== 0) throw new RangeError(`${fn}: v hidden size ${v2} (dims[2]) is not a multiple of numKvHeads ${Hkv}`);
    Dv = v2! / Hkv;
    if (v1 !== Lkv) throw new RangeError(`${fn}: v length (dims[1]) must equal k's ${Lkv}, got v ${shapeString(vt.dims)}`);
  }
  if (k0 !== B) throw new RangeError(`${fn}: k batch (dims[0]) must equal q's ${B}, got k ${shapeString(kt.dims)}`);
  if (v0 !== B) throw new RangeError(`${fn}: v batch (dims[0]) must equal q's ${B}, got v ${shapeString(vt.dims)}`);
  // Only formatted when a check below fails.
  const heads = () => (rank === 4
    ? `q ${shapeString(qt.dims)} has ${Hq} heads (dims[1]), k ${shapeString(kt.dims)} has ${Hkv}`
    : `numHeads is ${Hq}, numKvHeads is ${Hkv}`);
  if (Hq < 1 || Hkv < 1) throw new RangeError(`${fn}: head counts must be ≥ 1, got Hq = ${Hq}, Hkv = ${Hkv}: ${heads()}`);
  if (Hq % Hkv !== 0) {
    throw new RangeError(`${fn}: query heads ${Hq} must be a multiple of key/value heads ${Hkv} (GQA/MQA): ${heads()}`);
  }
  if (Dk < 1) throw new RangeError(`${fn}: head size Dk must be ≥ 1, got ${Dk} (q ${shapeString(qt.dims)})`);
  if (Dv < 1) throw new RangeError(`${fn}: value head size Dv must be ≥ 1, got ${Dv} (v ${shapeString(vt.dims)})`);

  return withOptions(fn, o, {
    B, Hq, Hkv, Lq, Lkv, Dk, Dv,
    q: qd, k: kd, v: vd,
    qStrides: rank === 4 ? strides4(Hq, Lq, Dk) : strides3(Hq, Lq, Dk),
    kStrides: rank === 4 ? strides4(Hkv, Lkv, Dk) : strides3(Hkv, Lkv, Dk),
    vStrides: rank === 4 ? strides4(Hkv, Lkv, Dv) : strides3(Hkv, Lkv, Dv),
    outDims: rank === 4 ? [B, Hq, Lq, Dv] : [B, Lq, Hq * Dv],
    outStrides: rank === 4 ? strides4(Hq, Lq, Dv) : strides3(Hq, Lq, Dv),
  });
}

/** The shape part of a Plan: sizes, data and strides. */
export type PlanShapes = Pick<Plan,
  "B" | "Hq" | "Hkv" | "Lq" | "Lkv" | "Dk" | "Dv" | "q" | "k" | "v" |
  "qStrides" | "kStrides" | "vStrides" | "outDims" | "outStrides">;

/** Checks the attention options (all but the head counts) against the shapes and completes the Plan. */
export function withOptions(fn: string, o: AttentionOptions, shapes: PlanShapes): Plan {
  const { B, Hq, Lq, Lkv, Dk, Dv } = shapes;
  // Every field written out: an object spread of `shapes` here cost ~22 µs per call in
  // Node 20's V8 (a slow path for literals this size), more than the rest of a small call.
  const plan: Plan = {
    B, Hq, Hkv: shapes.Hkv, Lq, Lkv, Dk, Dv,
    q: shapes.q, k: shapes.k, v: shapes.v,
    qStrides: shapes.qStrides, kStrides: shapes.kStrides, vStrides: shapes.vStrides,
    outDims: shapes.outDims, outStrides: shapes.outStrides,
    scale: 1 / Math.sqrt(Dk),
    softcap: 0,
    causal: false,
    causalOffsets: new Int32Array(B),
    keyLengths: null,
    mask: null,
    out: null,
    returnLse: false,
    returnWeights: false,
    scoresMode: -1,
  };

  if (o.scale !== undefined) {
    if (typeof o.scale !== "number") throw new TypeError(`${fn}: scale must be a number, got ${describe(o.scale)}`);
    if (!Number.isFinite(o.scale)) throw new RangeError(`${fn}: scale must be finite, got ${o.scale}`);
    plan.scale = o.scale;
  }
  if (o.softcap !== undefined) {
    if (typeof o.softcap !== "number") throw new TypeError(`${fn}: softcap must be a number, got ${describe(o.softcap)}`);
    if (!(o.softcap >= 0) || !Number.isFinite(o.softcap)) {
      throw new RangeError(`${fn}: softcap must be a finite number ≥ 0 (0 = off), got ${o.softcap}`);
    }
    plan.softcap = o.softcap;
  }
  if (o.causal !== undefined) plan.causal = checkBool(fn, "causal", o.causal);
  if (o.causalOffset !== undefined) {
    if (!plan.causal) throw new TypeError(`${fn}: causalOffset is given but causal is not true (causal is ${describe(o.causal)})`);
    plan.causalOffsets.fill(checkInt(fn, "causalOffset", o.causalOffset, -(2 ** 31), 2 ** 31 - 1));
  } else {
    plan.causalOffsets.fill(Lkv - Lq);
  }
  if (o.keyLengths !== undefined) plan.keyLengths = checkKeyLengths(fn, "keyLengths", o.keyLengths, B, Lkv);
  if (o.mask !== undefined) plan.mask = checkMask(fn, "mask", o.mask, [B, Hq, Lq, Lkv]);
  if (o.returnLse !== undefined) plan.returnLse = checkBool(fn, "returnLse", o.returnLse);
  if (o.returnWeights !== undefined) plan.returnWeights = checkBool(fn, "returnWeights", o.returnWeights);
  if (o.out !== undefined) {
    if (!(o.out instanceof Float32Array)) throw new TypeError(`${fn}: out must be a Float32Array, got ${describe(o.out)}`);
    const n = B * Hq * Lq * Dv;
    if (o.out.length < n) {
      throw new RangeError(`${fn}: out has ${o.out.length} elements; the output ${shapeString(plan.outDims)} needs ${n}`);
    }
    plan.out = o.out;
  }
  return plan;
}

export function checkKeyLengths(fn: string, name: string, x: unknown, B: number, Lkv: number): Int32Array {
  if (!(x instanceof Int32Array) && !Array.isArray(x)) {
    throw new TypeError(`${fn}: ${name} must be an Int32Array or number[] of length ${B}, got ${describe(x)}`);
  }
  if (x.length !== B) throw new RangeError(`${fn}: ${name} must have one entry per batch (${B}), got ${x.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) out[b] = checkInt(fn, `${name}[${b}]`, x[b], 0, Lkv);
  return out;
}

export function checkMask(
  fn: string, name: string, m: unknown, target: [number, number, number, number],
): PlanMask {
  const t = checkTensor(fn, name, m);
  let kind: "bool" | "add";
  if (t.data instanceof Uint8Array) kind = "bool";
  else if (t.data instanceof Float32Array) kind = "add";
  else {
    throw new TypeError(
      `${fn}: ${name}.data must be a Uint8Array (bool, 1 = attend) or a Float32Array (additive), got ${describe(t.data)}`,
    );
  }
  return { kind, data: t.data as Uint8Array | Float32Array, strides: broadcastMask(fn, name, t.dims, target) };
}

export type { Tensor };
