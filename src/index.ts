// wasm-attention, the Node entry (export condition "node"; Deno and Bun resolve here
// too): init() without a source reads the package's own build/*.wasm from beside this
// module; a file: URL source is read from disk, other URLs are fetched.
import { readFile } from "node:fs/promises";
import { initWith, type InitOptions, type InitResult, type WasmSource } from "./loader.js";

export * from "./api.js";
export { createAttentionPool, type AttentionPool, type AttentionPoolOptions } from "./pool-node.js";

const readBuild = (build: string) => readFile(new URL(`../build/${build}.wasm`, import.meta.url));
const readUrl = (url: URL) => (url.protocol === "file:" ? readFile(url) : fetch(url));

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
