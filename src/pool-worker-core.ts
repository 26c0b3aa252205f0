// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then, for each call,
// takes units of work from the call's queue in that memory ((head, query range) triples)
// until the queue is empty, waiting on a unit's head until the main thread has copied
// that head's inputs (it copies them while the workers wake up).

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory }
  /**
   * queue: byte address of the counter of units taken, then the number of heads whose
   * inputs are in memory, then `count` units [bh, q0, q1] (i32).
   */
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
      const taken = m.queue >> 2, ready = taken + 1;
      for (;;) {
        const i = Atomics.add(i32, taken, 1);
        if (i >= m.count) break;
        const u = ready + 1 + 3 * i;
        const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
        // Wait until the pool has copied this head's inputs.
        for (let r = Atomics.load(i32, ready); r <= bh; r = Atomics.load(i32, ready)) Atomics.wait(i32, ready, r);
        if (m.decode) k.attentionDecode(m.params, bh, bh + 1, q0, q1);
        else k.attentionFlash(m.params, bh, bh + 1, q0, q1);
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
