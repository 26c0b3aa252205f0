// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then, for each call,
// takes units of work from the call's queue in that memory ((head, query range) triples,
// the inputs already copied there) until the queue is empty.

/**
 * A call's work queue in the shared memory, i32 slots from its address: units taken so
 * far; workers started; then the units [bh, q0, q1].
 */
export const QUEUE_TAKEN = 0, QUEUE_STARTED = 1, QUEUE_UNITS = 2;

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory }
  /**
   * queue: byte address of the call's work queue (QUEUE_*), holding `count` units;
   * workers: how many run the call; postedAt: performance.timeOrigin + performance.now()
   * when the pool posted the call.
   */
  | { type: "run"; id: number; decode: boolean; params: number; queue: number; count: number; workers: number; postedAt: number };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: "ready" }
  | { type: "done"; id: number }
  | { type: "error"; id: number; message: string };

/**
 * A peer not started this long after its "run" was posted is taken as stuck behind this
 * worker (waking an idle worker takes 0.1-0.3 ms on the VMs this was measured on); a
 * worker then sleeps at most YIELD_MS to let it onto its core (ms).
 */
const STUCK_MS = 0.5, YIELD_MS = 0.2;

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
      const at = m.queue >> 2, taken = at + QUEUE_TAKEN, started = at + QUEUE_STARTED;
      Atomics.add(i32, started, 1);
      Atomics.notify(i32, started);
      for (;;) {
        const i = Atomics.add(i32, taken, 1);
        if (i >= m.count) break;
        const u = at + QUEUE_UNITS + 3 * i;
        const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
        if (m.decode) k.attentionDecode(m.params, bh, bh + 1, q0, q1);
        else k.attentionFlash(m.params, bh, bh + 1, q0, q1);
        // A peer woken with this worker has still not started STUCK_MS after the call was
        // posted, and work is left: the system most likely queued it behind this worker on
        // the same core while another core idles (in the benchmark such a peer's run-queue
        // wait was ~1.6 ms at the median of late calls). Sleeping a moment (until the peer
        // starts, at most YIELD_MS) hands it this core, and this worker then wakes on the
        // idle one.
        const now = Atomics.load(i32, started);
        if (now < m.workers && performance.timeOrigin + performance.now() - m.postedAt > STUCK_MS && Atomics.load(i32, taken) < m.count) {
          Atomics.wait(i32, started, now, YIELD_MS);
        }
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
