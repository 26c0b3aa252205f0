// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then, for each call,
// takes units of work from the call's queue in that memory ((head, query range) triples,
// the inputs already copied there) until the queue is empty.

/** A call's work queue in the shared memory (i32 slots): units taken so far, then the units [bh, q0, q1]. */
export const QUEUE_TAKEN = 0, QUEUE_UNITS = 1;

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory }
  /** queue: byte address of the call's work queue (QUEUE_*), holding `count` units. */
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
      const at = m.queue >> 2, taken = at + QUEUE_TAKEN;
      for (;;) {
        const i = Atomics.add(i32, taken, 1);
        if (i >= m.count) break;
        const u = at + QUEUE_UNITS + 3 * i;
        const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
        if (m.decode) k.attentionDecode(m.params, bh, bh + 1, q0, q1);
        else k.attentionFlash(m.params, bh, bh + 1, q0, q1);
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
