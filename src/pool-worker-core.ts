// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then, for each call,
// takes units of work from the call's queue in that memory ((head, query range) triples)
// until the queue is empty, waiting on a unit's head until the main thread has copied
// that head's inputs (it copies them while the workers wake up).

/**
 * A call's work queue in the shared memory, i32 slots from its address: units taken so
 * far; how many heads (bh = b·Hq + h, in order) have their inputs in memory, of how many;
 * workers started; workers posted a "run" message; then the units [bh, q0, q1].
 */
export const QUEUE_TAKEN = 0, QUEUE_READY = 1, QUEUE_HEADS = 2, QUEUE_STARTED = 3, QUEUE_POSTED = 4, QUEUE_UNITS = 5;

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

/** How long a worker sleeps to let a late peer onto its core (ms). */
const YIELD_MS = 0.2;

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
      const at = m.queue >> 2, taken = at + QUEUE_TAKEN, ready = at + QUEUE_READY;
      const started = at + QUEUE_STARTED, posted = at + QUEUE_POSTED, heads = i32[at + QUEUE_HEADS]!;
      Atomics.add(i32, started, 1);
      Atomics.notify(i32, started);
      for (;;) {
        const i = Atomics.add(i32, taken, 1);
        if (i >= m.count) break;
        const u = at + QUEUE_UNITS + 3 * i;
        const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
        // Wait until the pool has copied this head's inputs.
        for (let r = Atomics.load(i32, ready); r <= bh; r = Atomics.load(i32, ready)) Atomics.wait(i32, ready, r);
        const copied = Atomics.load(i32, ready), behind = Atomics.load(i32, started) < Atomics.load(i32, posted);
        if (m.decode) k.attentionDecode(m.params, bh, bh + 1, q0, q1);
        else k.attentionFlash(m.params, bh, bh + 1, q0, q1);
        if (Atomics.load(i32, taken) >= m.count) continue; // nothing left to hand over
        // A thread this call waits on made no progress during the unit: a worker posted
        // before it began has still not started, or the calling thread copied no further
        // head. The system most likely queued that thread behind this one on the same core
        // while another core idles: sleeping a moment hands it this core, and this worker
        // then wakes on the idle one.
        const now = Atomics.load(i32, started);
        if (behind && now < Atomics.load(i32, posted)) Atomics.wait(i32, started, now, YIELD_MS);
        else if (copied < heads && Atomics.load(i32, ready) === copied) Atomics.wait(i32, ready, copied, YIELD_MS);
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
