// wasm-attention itself, one peer per build. attention() runs on the current build, so
// each build's engine is loaded once and made current (outside the timing) before its
// calls; a KVCache stays on the build it was created on.
// Decoding (cases with kvCached): a KVCache of capacity kvCached + 1 is refilled with the
// kvCached past keys before each timed call (setup); the timed call appends the new
// token's k and v and attends over the cache: what a decoder does per token.
import { readFileSync } from "node:fs";
import { init, attention, KVCache } from "../../src/index.js";
import { current, setState, type State } from "../../src/state.js";
import type { AttentionOptions } from "../../src/types.js";
import type { CaseInputs, Peer, Prepared } from "./types.js";

export type WasmBuildName = "relaxed-simd" | "simd" | "scalar";

const root = new URL("../../../", import.meta.url); // dist-bench/bench/peers/ → repository root
const engines = new Map<WasmBuildName, State | string>();

/** The engine of a build (loaded once), or why this engine cannot run it. */
export async function engineOf(build: WasmBuildName): Promise<State | string> {
  const have = engines.get(build);
  if (have) return have;
  const bytes = readFileSync(new URL(`build/${build}.wasm`, root));
  let got: State | string;
  if (!WebAssembly.validate(bytes)) {
    got = build === "relaxed-simd"
      ? "relaxed SIMD is off in this engine (Node 20: --experimental-wasm-relaxed-simd)"
      : `this engine does not validate build/${build}.wasm`;
  } else {
    await init(bytes, { build });
    got = current!;
  }
  engines.set(build, got);
  return got;
}

/**
 * A build's peer. intoOut: the output goes into a Float32Array the caller allocated once
 * (the `out` option) instead of a fresh one per call; the difference is what allocating
 * (and first touching) the output costs.
 */
export function oursPeer(build: WasmBuildName, intoOut = false): Peer {
  return {
    id: `ours-${build}${intoOut ? "-out" : ""}`,
    label: `wasm-attention ${build}${intoOut ? " into \`out\`" : ""}`,
    kind: "ours",
    async prepare({ c, q, k, v, decode }: CaseInputs): Promise<Prepared | string> {
      const state = await engineOf(build);
      if (typeof state === "string") return state;
      const use = () => setState(state);
      use();
      const out = intoOut ? new Float32Array(c.B * c.Hq * c.Lq * c.Dv) : undefined;
      if (decode) {
        const cache = new KVCache({ numKvHeads: c.Hkv, headDim: c.Dk, capacity: c.Lkv });
        const opts: AttentionOptions = out ? { causal: true, out } : { causal: true };
        return {
          before: () => { cache.reset(); cache.append(decode.kPast, decode.vPast); },
          run: () => { cache.append(decode.kNew, decode.vNew); return cache.attention(q, opts).data; },
          repeatable: false,
          dispose: () => cache.dispose(),
          note: "KVCache: append the token's k, v + attention over the cache",
        };
      }
      const opts: AttentionOptions = c.causal ? { causal: true } : {};
      if (out) opts.out = out;
      return { before: use, run: () => attention(q, k, v, opts).data };
    },
  };
}

/** Bytes of wasm linear memory of a build's engine (for the memory column). */
export function wasmBytes(state: State): number {
  return state.engine ? state.engine.exports.memory.buffer.byteLength : 0;
}
