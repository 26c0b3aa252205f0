// wasm-attention, the Cloudflare Workers entry (export condition "workerd"). workerd
// compiles no WebAssembly from bytes at run time (WebAssembly.compile and
// new WebAssembly.Module throw there), so the three builds are imported as modules:
// wrangler (and miniflare's CompiledWasm rule) turns each `import x from "….wasm"` into
// a WebAssembly.Module compiled when the Worker is loaded. init() without a source
// instantiates the best of them; initSync(module) works too. No top-level await, no
// node: imports, no eval, no dynamic import().
import relaxedSimd from "../build/relaxed-simd.wasm";
import simd from "../build/simd.wasm";
import scalar from "../build/scalar.wasm";
import { initWith, type InitOptions, type InitResult, type WasmSource } from "./loader.js";
import { createPoolWith, type AttentionPool, type AttentionPoolOptions, type PoolHost } from "./pool.js";

export * from "./api.js";

const MODULES = { "relaxed-simd": relaxedSimd, simd, scalar } as const;

const readUrl = (url: URL) => fetch(url);

/**
 * Instantiates the best build (relaxed-simd where the engine has it, else simd, else
 * scalar), or the one options.build names. Idempotent; another build switches to it.
 * `source` must be a WebAssembly.Module here (an imported .wasm); bytes, URLs and
 * Responses are refused by workerd, which compiles no code at run time.
 */
export function init(source?: WasmSource, options?: InitOptions): Promise<InitResult> {
  return initWith(async (b) => MODULES[b], readUrl, source, options).catch((e: unknown) => {
    if (e instanceof Error && /disallowed by embedder|code generation/i.test(e.message)) {
      throw new Error(`${e.message} (workerd compiles no WebAssembly from bytes: pass a WebAssembly.Module, ` +
        `e.g. \`import m from "wasm-attention/build/simd.wasm"\`, or call init() without a source)`, { cause: e });
    }
    throw e;
  });
}

// workerd starts no threads (no Web Workers), so a pool here is the calling thread:
// createAttentionPool says so once and runs attention() (init() first), same results.
const noThreads: PoolHost = {
  cores: 1,
  unavailable: () => "Cloudflare Workers (workerd) start no worker threads (no Web Workers" +
    (typeof SharedArrayBuffer === "undefined" ? ", no SharedArrayBuffer)" : ")"),
  module: () => Promise.reject(new Error("workerd: no threads build")),
  spawn: () => { throw new Error("workerd: no worker threads"); },
};

/** The worker pool's interface; in workerd it runs each call on the calling thread (see above). */
export function createAttentionPool(options?: AttentionPoolOptions): Promise<AttentionPool> {
  return createPoolWith(noThreads, options);
}

export type { AttentionPool, AttentionPoolOptions };
