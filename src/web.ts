// wasm-attention, the browser entry (export conditions "browser" and "default"): init()
// without a source fetches the package's own .wasm. Each URL is written out literally as
// `new URL("<literal>", import.meta.url)`, the pattern Vite, webpack 5, Parcel and Rollup
// recognise, so they copy the three files into the app's output and rewrite the URLs.
// The URLs are made only when init() needs one, so a bundle that has no import.meta.url
// (an IIFE) still loads when init() is given its source. No top-level await, no node:
// imports, no eval, no dynamic import().
import { initWith, type InitOptions, type InitResult, type WasmSource, type WASM_BUILDS } from "./loader.js";

export * from "./api.js";
export { createAttentionPool, type AttentionPool, type AttentionPoolOptions } from "./pool-web.js";

function buildUrl(build: (typeof WASM_BUILDS)[number]): URL {
  switch (build) {
    case "relaxed-simd": return new URL("../build/relaxed-simd.wasm", import.meta.url);
    case "simd": return new URL("../build/simd.wasm", import.meta.url);
    case "scalar": return new URL("../build/scalar.wasm", import.meta.url);
  }
}

async function readBuild(build: (typeof WASM_BUILDS)[number]): Promise<ArrayBuffer> {
  const url = buildUrl(build);
  const r = await fetch(url);
  if (!r.ok) {
    throw new Error(`init: fetching ${url.href} failed: HTTP ${r.status} ${r.statusText}; ` +
      `a bundler that does not copy the package's .wasm files (esbuild) needs them passed to init(): see the README`);
  }
  return r.arrayBuffer();
}

const readUrl = (url: URL) => fetch(url);

/**
 * Loads and instantiates the best build this engine runs (relaxed-simd, simd, scalar;
 * 'js' if there is no WebAssembly), or the one options.build names (rejected where the
 * engine cannot run it). Idempotent; another build switches to it.
 * `source`: a WebAssembly.Module, bytes, URL or Response of one build, instead of the
 * package's own files.
 */
export function init(source?: WasmSource, options?: InitOptions): Promise<InitResult> {
  return initWith(readBuild, readUrl, source, options);
}
