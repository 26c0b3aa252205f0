// Not a competitor: the floor under decoding. One decode step must read the whole K and
// V cache once (Hkv · Lkv · D floats each), so no kernel can beat the time it takes just
// to stream that many bytes with f32x4 loads (bench/kernels/peak.ts streamSum), measured
// in the same rounds as the decoders.
import { Streamer } from "../machine.js";
import type { CaseInputs, Peer, Prepared } from "./types.js";

const nothing = new Float32Array(0);

export const streamFloor: Peer = {
  id: "stream-floor",
  label: "floor: stream K+V once",
  kind: "floor",
  async prepare({ c, decode }: CaseInputs): Promise<Prepared | string> {
    if (!decode) return "only for decoding";
    const s = new Streamer(c.Hkv * c.Lkv * (c.Dk + c.Dv) * 4);
    let sink = 0;
    return {
      run: () => { sink += s.run(); return nothing; },
      note: `${(s.bytes / 2 ** 20).toFixed(2)} MiB read once`,
      dispose: () => { if (Number.isNaN(sink)) console.log(""); },
    };
  },
};
