// The pool's Node host: worker_threads workers running dist/pool-worker-node.js, the
// simd-threads build read from beside this module.
import { Worker } from "node:worker_threads";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { createPoolWith, type AttentionPool, type AttentionPoolOptions, type PoolHost } from "./pool.js";
import type { FromWorker } from "./pool-worker-core.js";

const host: PoolHost = {
  cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
  unavailable: () => (typeof SharedArrayBuffer === "undefined" ? "SharedArrayBuffer is not available in this process" : null),
  module: async () => WebAssembly.compile(await readFile(new URL("../build/simd-threads.wasm", import.meta.url))),
  spawn() {
    // ../dist/ resolves to the compiled worker from both src/ (tests) and dist/ (the package).
    const w = new Worker(new URL("../dist/pool-worker-node.js", import.meta.url));
    return {
      post: (m) => w.postMessage(m),
      onMessage: (f) => { w.on("message", (m: FromWorker) => f(m)); w.on("error", (e) => f({ type: "error", call: false, message: e.message })); },
      busy: (on) => (on ? w.ref() : w.unref()),
      terminate: () => w.terminate(),
    };
  },
};

/**
 * A pool of threads (default: one worker per core, the calling thread left free; see
 * AttentionPoolOptions) sharing one wasm memory through worker_threads;
 * `pool.attention(q, k, v, options)` resolves to what attention() returns.
 */
export function createAttentionPool(options?: AttentionPoolOptions): Promise<AttentionPool> {
  return createPoolWith(host, options);
}

export type { AttentionPool, AttentionPoolOptions };
