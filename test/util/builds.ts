// The builds this engine can run, for tests that loop over builds. The relaxed-simd
// project (vitest.config.ts) narrows the list with WASM_ATTENTION_BUILDS so that the
// default-flag project does not run the other builds twice; the Chromium project names
// all four. In Node the variable is in process.env; in the browser, where there is no
// process, vitest hands a project's test.env to import.meta.env.
// In Chromium, ../../src/index.js resolves to src/web.ts (vitest.config.ts), so init()
// there is the browser entry's.
import type { Build } from "../../src/types.js";
import { init } from "../../src/index.js";

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env ? proc.env[name] : (import.meta as { env?: Record<string, string | undefined> }).env?.[name];
}

export function runnableBuilds(): Build[] {
  const want = env("WASM_ATTENTION_BUILDS")?.split(",") as Build[] | undefined;
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
