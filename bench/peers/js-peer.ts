// A plain-JS attention function as a peer: the naive and the tuned loops share this.
import type { CaseInputs, Peer, Prepared, PrepareOptions, RowSample } from "./types.js";

/** (q, k, v, Hq, Hkv, Lq, Lkv, D, causal, rows to compute or all) → output [1, Hq, Lq, D]. */
export type JsAttention = (
  q: Float32Array, k: Float32Array, v: Float32Array, Hq: number, Hkv: number, Lq: number, Lkv: number, D: number,
  causal: boolean, sample?: RowSample,
) => Float32Array;

export function jsPeer(id: string, label: string, attend: JsAttention): Peer {
  return {
    id,
    label,
    kind: "js",
    async prepare({ c, q, k, v }: CaseInputs, options?: PrepareOptions): Promise<Prepared> {
      const sample = options?.sample;
      const causal = !!c.causal;
      const p: Prepared = { run: () => attend(q.data, k.data, v.data, c.Hq, c.Hkv, c.Lq, c.Lkv, c.Dk, causal, sample) };
      if (sample) p.sample = sample;
      return p;
    },
  };
}
