// A one-node ONNX model (the `Attention` operator, opset 23/24, domain "") encoded by
// hand: there is no python here to run onnx.helper, and the model is a dozen fields.
//
// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/): every field
// is a key varint (field number << 3 | wire type) followed by its value: wire type 0 a
// varint (int32/int64/enum), 2 a length-delimited payload (string, bytes, nested
// message), 5 four little-endian bytes (float). Field numbers are onnx/onnx.proto3's.

/** Appends protobuf fields to a growing byte list. */
class Writer {
  private bytes: number[] = [];

  private varint(n: number): void {
    // Non-negative integers up to 2^53 (ONNX dims, versions, enum values).
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: ${n} is not a non-negative safe integer`);
    while (n >= 0x80) {
      this.bytes.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.bytes.push(n);
  }

  private key(field: number, wire: 0 | 2 | 5): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, n: number): this {
    this.key(field, 0);
    this.varint(n);
    return this;
  }

  float(field: number, x: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([x]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  raw(field: number, payload: Uint8Array): this {
    this.key(field, 2);
    this.varint(payload.length);
    for (const x of payload) this.bytes.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.raw(field, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

// onnx.proto3 field numbers, per message.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, type: 20 } as const;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { dimValue: 1 } as const;
const ELEM_FLOAT = 1;

export interface OnnxValue {
  name: string;
  dims: readonly number[];
}

function valueInfo(w: Writer, v: OnnxValue): void {
  w.string(VALUE_INFO.name, v.name);
  w.message(VALUE_INFO.type, (t) =>
    t.message(TYPE.tensorType, (tt) => {
      tt.int(TENSOR_TYPE.elemType, ELEM_FLOAT);
      tt.message(TENSOR_TYPE.shape, (s) => {
        for (const d of v.dims) s.message(SHAPE.dim, (dim) => dim.int(DIM.dimValue, d));
      });
    }),
  );
}

export interface AttentionModelSpec {
  /** Graph inputs in the operator's input order (Q, K, V, then optional ones); "" skips a slot. */
  inputs: (OnnxValue | "")[];
  /** Graph outputs in the operator's output order (Y, present_key, present_value). */
  outputs: OnnxValue[];
  /** Integer attributes, e.g. { is_causal: 1 }. */
  ints?: Record<string, number>;
  /** Float attributes, e.g. { scale: 0.125 }. */
  floats?: Record<string, number>;
  /** 23 or 24 (default 23). */
  opset?: number;
}

/**
 * The serialized ModelProto of a graph with one Attention node whose inputs and
 * outputs are the graph's, all float32 with the given static dims.
 */
export function attentionModel(spec: AttentionModelSpec): Uint8Array {
  const opset = spec.opset ?? 23;
  const w = new Writer();
  // IR version 11: ONNX 1.18's, the release that brought opset 23 (and Attention);
  // onnxruntime 1.30 loads it with opset 23 and with 24.
  w.int(MODEL.irVersion, 11);
  w.string(MODEL.producerName, "wasm-attention bench");
  w.message(MODEL.opsetImport, (o) => {
    o.string(OPSET_ID.domain, "");
    o.int(OPSET_ID.version, opset);
  });
  w.message(MODEL.graph, (g) => {
    g.message(GRAPH.node, (n) => {
      for (const i of spec.inputs) n.string(NODE.input, i === "" ? "" : i.name);
      for (const o of spec.outputs) n.string(NODE.output, o.name);
      n.string(NODE.name, "attention");
      n.string(NODE.opType, "Attention");
      n.string(NODE.domain, "");
      for (const [name, value] of Object.entries(spec.ints ?? {})) {
        n.message(NODE.attribute, (a) => a.string(ATTRIBUTE.name, name).int(ATTRIBUTE.i, value).int(ATTRIBUTE.type, ATTRIBUTE_TYPE.INT));
      }
      for (const [name, value] of Object.entries(spec.floats ?? {})) {
        n.message(NODE.attribute, (a) => a.string(ATTRIBUTE.name, name).float(ATTRIBUTE.f, value).int(ATTRIBUTE.type, ATTRIBUTE_TYPE.FLOAT));
      }
    });
    g.string(GRAPH.name, "attention");
    for (const i of spec.inputs) if (i !== "") g.message(GRAPH.input, (v) => valueInfo(v, i));
    for (const o of spec.outputs) g.message(GRAPH.output, (v) => valueInfo(v, o));
  });
  return w.finish();
}
