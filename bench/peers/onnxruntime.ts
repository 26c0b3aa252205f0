// onnxruntime (web: its wasm backend; node: its native CPU provider), both on one
// thread, running the ONNX `Attention` operator (opset 23) on a one-node model built in
// code (bench/onnx-model.ts). Session creation is setup; a timed call wraps the
// Float32Arrays in ort.Tensors, awaits session.run and returns Y's data.
//
// Forms:
// - "whole": Q, K, V as 4D tensors. For decoding this is the cache handed in whole each
//   call (Q of length 1 against all 1025 keys), its fastest form.
// - "past": decoding as decoder exports run it: Q, K, V of the new token plus
//   past_key/past_value [1, H, 1024, D]; ORT concatenates them into present_key/value.
// ONNX causal is top-left unless there is a past, so is_causal is set only where it means
// the same as attention()'s bottom-right: Lq = Lkv. A single query row sees every key.
import type * as Ort from "onnxruntime-web";
import { attentionModel, type OnnxValue } from "../onnx-model.js";
import type { BenchCase } from "../../test/cases.js";
import type { CaseInputs, Peer, Prepared, PrepareOptions } from "./types.js";

type OrtModule = Pick<typeof Ort, "InferenceSession" | "Tensor">;

function causalAttr(c: BenchCase): Record<string, number> | string {
  if (!c.causal || c.Lq === 1) return {};
  if (c.Lq === c.Lkv) return { is_causal: 1 };
  return "ONNX's causal is top-left without a past; this case needs bottom-right";
}

export function ortPeer(p: {
  id: string; label: string; form: "whole" | "past";
  load: () => Promise<{ ort: OrtModule; options: Ort.InferenceSession.SessionOptions }>;
}): Peer {
  return {
    id: p.id,
    label: p.label,
    kind: "onnxruntime",
    async prepare(inputs: CaseInputs, popts?: PrepareOptions): Promise<Prepared | string> {
      const { c, q, k, v, decode } = inputs;
      const { ort, options } = await p.load();
      const dims = (H: number, L: number): number[] => [1, H, L, c.Dk];
      const Y: OnnxValue = { name: "Y", dims: dims(c.Hq, c.Lq) };
      let model: Uint8Array;
      let feeds: () => Record<string, Ort.Tensor>;
      let outputs: string[];
      let note: string | undefined;
      const t = (data: Float32Array, d: readonly number[]) => new ort.Tensor("float32", data, d as number[]);
      if (p.form === "whole") {
        const attr = causalAttr(c);
        if (typeof attr === "string") return attr;
        model = attentionModel({
          inputs: [{ name: "Q", dims: q.dims }, { name: "K", dims: k.dims }, { name: "V", dims: v.dims }],
          outputs: [Y], ints: attr,
        });
        feeds = () => ({ Q: t(q.data, q.dims), K: t(k.data, k.dims), V: t(v.data, v.dims) });
        outputs = ["Y"];
        if (decode) note = "whole cache (1025 keys) handed in each call";
      } else {
        if (!decode) return "past/present form is for decoding";
        const P = decode.kPast.dims[2]!;
        model = attentionModel({
          inputs: [
            { name: "Q", dims: q.dims }, { name: "K", dims: decode.kNew.dims }, { name: "V", dims: decode.vNew.dims }, "",
            { name: "past_key", dims: decode.kPast.dims }, { name: "past_value", dims: decode.vPast.dims },
          ],
          outputs: [Y, { name: "present_key", dims: dims(c.Hkv, P + 1) }, { name: "present_value", dims: dims(c.Hkv, P + 1) }],
        });
        feeds = () => ({
          Q: t(q.data, q.dims), K: t(decode.kNew.data, decode.kNew.dims), V: t(decode.vNew.data, decode.vNew.dims),
          past_key: t(decode.kPast.data, decode.kPast.dims), past_value: t(decode.vPast.data, decode.vPast.dims),
        });
        outputs = ["Y", "present_key", "present_value"];
        note = "past_key/past_value in, present_key/present_value out";
      }
      let session: Ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(model, options);
      } catch (e) {
        return `session creation failed: ${firstLine(e)}`;
      }
      const run = async (): Promise<Float32Array> => {
        const r = await session.run(feeds(), outputs);
        return r["Y"]!.data as Float32Array;
      };
      // One call here: it tells whether ORT runs this shape at all (and warms it up).
      if (!popts?.noTrial) {
        try {
          await run();
        } catch (e) {
          await session.release();
          return `fails: ${firstLine(e)}`;
        }
      }
      const prepared: Prepared = { run, dispose: () => session.release() };
      if (note) prepared.note = note;
      return prepared;
    },
  };
}

/** ORT's error, short: "Integer overflow (safeint.h)" rather than the build machine's paths and call stack. */
function firstLine(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.trim();
  const ort = /ERROR_MESSAGE: (?:\S*\/)?([\w.-]+):\d+ .*?\)\s+(.*)$/.exec(m);
  if (ort) return `${ort[2]} (${ort[1]})`;
  return m.slice(0, 160);
}

async function loadWeb() {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  return { ort, options: { executionProviders: ["wasm"], graphOptimizationLevel: "all" } as Ort.InferenceSession.SessionOptions };
}

async function loadNode() {
  const ort = (await import("onnxruntime-node")) as unknown as OrtModule & { env: { logLevel?: string } };
  ort.env.logLevel = "error";
  return {
    ort,
    options: {
      executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1,
      executionMode: "sequential", graphOptimizationLevel: "all",
    } as Ort.InferenceSession.SessionOptions,
  };
}

export const ortWeb = ortPeer({ id: "ort-web", label: "onnxruntime-web", form: "whole", load: loadWeb });
export const ortWebPast = ortPeer({ id: "ort-web-past", label: "onnxruntime-web past/present", form: "past", load: loadWeb });
export const ortNode = ortPeer({ id: "ort-node", label: "onnxruntime-node", form: "whole", load: loadNode });
export const ortNodePast = ortPeer({ id: "ort-node-past", label: "onnxruntime-node past/present", form: "past", load: loadNode });
