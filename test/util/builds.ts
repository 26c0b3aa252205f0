// The builds this engine can run, for tests that loop over builds. The relaxed-simd
// project (vitest.config.ts) narrows the list with WASM_ATTENTION_BUILDS so that the
// default-flag project does not run the other builds twice.
import type { Build } from "../../src/types.js";
import { init } from "../../src/index.js";

export function runnableBuilds(): Build[] {
  const want = process.env.WASM_ATTENTION_BUILDS?.split(",") as Build[] | undefined;
  const all: Build[] = ["relaxed-simd", "simd", "scalar", "js"];
  // Relaxed SIMD validates only where the engine has it (Node 20: behind a flag).
  const relaxed = WebAssembly.validate(
    new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]),
  );
  const can = all.filter((b) => b !== "relaxed-simd" || relaxed);
  return want ? can.filter((b) => want.includes(b)) : can.filter((b) => b !== "relaxed-simd");
}

export async function useBuild(build: Build): Promise<void> {
  const r = await init(undefined, { build });
  if (r.build !== build) throw new Error(`asked for ${build}, got ${r.build}`);
}
