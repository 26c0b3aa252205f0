// The pool's browser host: module Web Workers running pool-worker-web.js, the
// simd-threads build fetched beside the package's other .wasm files. Both URLs are
// literal `new URL("…", import.meta.url)` so bundlers copy the files. Threads need
// SharedArrayBuffer, which browsers give only to cross-origin-isolated pages (served with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp).
import { createPoolWith, type AttentionPool, type AttentionPoolOptions, type PoolHost } from "./pool.js";
import type { FromWorker } from "./pool-worker-core.js";

const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };

const host: PoolHost = {
  cores: g.navigator?.hardwareConcurrency ?? 2,
  unavailable() {
    if (typeof SharedArrayBuffer === "undefined" || g.crossOriginIsolated === false) {
      return "SharedArrayBuffer is not available: the page is not cross-origin isolated " +
        "(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
    }
    if (typeof Worker === "undefined") return "this runtime has no Web Workers";
    return null;
  },
  async module() {
    const url = new URL("../build/simd-threads.wasm", import.meta.url);
    const r = await fetch(url);
    if (!r.ok) throw new Error(`createAttentionPool: fetching ${url.href} failed: HTTP ${r.status} ${r.statusText}`);
    return WebAssembly.compile(await r.arrayBuffer());
  },
  spawn() {
    const w = new Worker(new URL("./pool-worker-web.js", import.meta.url), { type: "module" });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (f) => {
        w.onmessage = (e: MessageEvent<FromWorker>) => f(e.data);
        w.onerror = (e) => f({ type: "error", call: false, message: e.message || "worker script failed to load" });
      },
      busy: () => undefined,
      terminate: () => w.terminate(),
    };
  },
};

/**
 * A pool of threads (default: one worker per core, the calling thread left free; see
 * AttentionPoolOptions) sharing one wasm memory through Web Workers (needs a
 * cross-origin-isolated page).
 */
export function createAttentionPool(options?: AttentionPoolOptions): Promise<AttentionPool> {
  return createPoolWith(host, options);
}

export type { AttentionPool, AttentionPoolOptions };
