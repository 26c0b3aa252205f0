// wasm-attention/core: the whole API with no I/O at all. init() and initSync() take the
// .wasm as you load it (a WebAssembly.Module, bytes or a Response); this module fetches
// and reads nothing, so it runs anywhere JavaScript and WebAssembly do.
import { initWith, type InitOptions, type InitResult, type WasmSource } from "./loader.js";

export * from "./api.js";

/**
 * Instantiates the build given as `source` (a WebAssembly.Module, bytes or a Response of
 * one of build/*.wasm; URLs are not loaded here), or the 'js' fallback with
 * `{ build: 'js' }`. Idempotent; without a source after a successful init it keeps the
 * current build.
 */
export function init(source?: WasmSource, options?: InitOptions): Promise<InitResult> {
  return initWith(null, null, source, options);
}
