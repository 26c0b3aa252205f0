// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then, for each call,
// takes units of work from the call's queue in that memory ((head, query range) triples
// whose inputs the main thread has already written there) until the queue is empty.

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory }
  /** queue: byte address of the counter, followed by `count` units [bh, q0, q1] (i32). */
  | { type: "run"; id: number; decode: boolean; params: number; queue: number; count: number };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: "ready" }
  | { type: "done"; id: number }
  | { type: "error"; id: number; message: string };

interface Kernels {
  attentionFlash(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
  attentionDecode(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
}

export function serve(post: (m: FromWorker) => void): (m: ToWorker) => void {
  let k: Kernels | null = null;
  let memory: WebAssembly.Memory | null = null;
  return (m) => {
    if (m.type === "init") {
      try {
        k = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports as unknown as Kernels;
        memory = m.memory;
        post({ type: "ready" });
      } catch (e) {
        post({ type: "error", id: -1, message: (e as Error).message });
      }
      return;
    }
    try {
      if (!k || !memory) throw new Error("pool worker used before init");
      // The memory may have grown since the last call: a fresh view of it.
      const i32 = new Int32Array(memory.buffer);
      const counter = m.queue >> 2;
      for (;;) {
        const i = Atomics.add(i32, counter, 1);
        if (i >= m.count) break;
        const u = counter + 1 + 3 * i;
        if (m.decode) k.attentionDecode(m.params, i32[u]!, i32[u]! + 1, i32[u + 1]!, i32[u + 2]!);
        else k.attentionFlash(m.params, i32[u]!, i32[u]! + 1, i32[u + 1]!, i32[u + 2]!);
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
