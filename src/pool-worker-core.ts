// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, then runs the
// units of work it is sent: (head, query range) pairs of one attention call whose
// inputs the main thread has already written into that memory.

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory }
  | { type: "run"; id: number; decode: boolean; params: number; units: Int32Array };

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
  return (m) => {
    if (m.type === "init") {
      try {
        k = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports as unknown as Kernels;
        post({ type: "ready" });
      } catch (e) {
        post({ type: "error", id: -1, message: (e as Error).message });
      }
      return;
    }
    try {
      if (!k) throw new Error("pool worker used before init");
      const u = m.units;
      for (let i = 0; i < u.length; i += 3) {
        if (m.decode) k.attentionDecode(m.params, u[i]!, u[i]! + 1, u[i + 1]!, u[i + 2]!);
        else k.attentionFlash(m.params, u[i]!, u[i]! + 1, u[i + 1]!, u[i + 2]!);
      }
      post({ type: "done", id: m.id });
    } catch (e) {
      post({ type: "error", id: m.id, message: (e as Error).message });
    }
  };
}
