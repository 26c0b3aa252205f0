// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, says it is ready,
// and from then on lives in a loop outside the event loop: it sleeps on its doorbell in
// the pool's control block (Atomics.wait), and each ring is a call whose inputs are
// already in memory; it takes units of work from that call's queue ((head, query range)
// triples) until the queue is empty, counts itself done, and sleeps again. When the
// calling thread joins the work (the pool's default), it takes units from the same queue.
//
// Calls are signalled through shared memory (a futex wake each way, as pthreadpool
// does), not by a message to each worker and one back. In the benchmark's harness this
// measured the same as messages on bert-512, gpt2-prefill and long-4k (within 1-3%, either
// way by run order) and cut the pool's cost on a tiny call (edge-small: 0.25-0.29 ms per
// call against 0.31 ms with messages; both orders, 2 cores).

/** A call's work queue in the shared memory (i32 slots): units taken so far, then the units [bh, q0, q1]. */
export const QUEUE_TAKEN = 0, QUEUE_UNITS = 1;

/**
 * The pool's control block (i32 slots), written by the calling thread before it rings:
 * DONE  workers finished with the current call (the calling thread waits on it);
 * FAILED workers whose units threw in the current call (each posts an "error" message first);
 * QUEUE byte address of the call's work queue (QUEUE_*); COUNT its units;
 * DECODE 1: the units run the decode kernel; ACTIVE workers taking part in the call;
 * MESSAGE 1: the last worker to finish also posts "done" (a calling thread without
 * Atomics.waitAsync); STOP 1: the workers leave their loop.
 * Then per worker w: CTL_WORKERS + 2w its doorbell (rung by adding 1), + 1 its parameter block.
 */
export const CTL_DONE = 0, CTL_FAILED = 1, CTL_QUEUE = 2, CTL_COUNT = 3, CTL_DECODE = 4,
  CTL_ACTIVE = 5, CTL_MESSAGE = 6, CTL_STOP = 7, CTL_WORKERS = 8;

/** i32 slots of the control block for `threads` workers. */
export const controlSlots = (threads: number) => CTL_WORKERS + 2 * threads;

/** Messages from the pool to a worker. */
export type ToWorker =
  /** control: byte address of the control block (CTL_*); index: this worker's place in it. */
  { type: "init"; module: WebAssembly.Module; memory: WebAssembly.Memory; control: number; index: number };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: "ready" }
  /** The current call is finished (only when CTL_MESSAGE is set). */
  | { type: "done" }
  /** call: true when a unit of the current call threw; false when the worker itself failed. */
  | { type: "error"; call: boolean; message: string };

export interface Kernels {
  attentionFlash(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
  attentionDecode(p: number, bh0: number, bh1: number, q0: number, q1: number): void;
}

/**
 * Takes units from a call's work queue (byte address `queue`, `count` units; QUEUE_*)
 * with an atomic add until none are left, and runs each with the parameter block at
 * `params` (its own scratch). A pool worker runs this on every ring; so does the calling
 * thread when it joins the work. `i32` views the memory as it is for this call.
 */
export function runUnits(k: Kernels, i32: Int32Array, queue: number, count: number, decode: boolean, params: number): void {
  const at = queue >> 2;
  for (;;) {
    const i = Atomics.add(i32, at + QUEUE_TAKEN, 1);
    if (i >= count) return;
    const u = at + QUEUE_UNITS + 3 * i;
    const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
    if (decode) k.attentionDecode(params, bh, bh + 1, q0, q1);
    else k.attentionFlash(params, bh, bh + 1, q0, q1);
  }
}

export function serve(post: (m: FromWorker) => void): (m: ToWorker) => void {
  return (m) => {
    let k: Kernels;
    try {
      k = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports as unknown as Kernels;
    } catch (e) {
      post({ type: "error", call: false, message: (e as Error).message });
      return;
    }
    // The doorbell's value is read before "ready" goes out: the pool may ring as soon as it
    // has that message, and a ring between the two would otherwise be missed.
    const ctl = new Int32Array(m.memory.buffer);
    const bell = (m.control >> 2) + CTL_WORKERS + 2 * m.index;
    const rung = Atomics.load(ctl, bell);
    post({ type: "ready" });
    work(k, m.memory, m.control >> 2, m.index, rung, post);
  };
}

/** The worker's loop: never returns until the pool sets CTL_STOP. */
function work(k: Kernels, memory: WebAssembly.Memory, c: number, index: number, rung: number, post: (m: FromWorker) => void): void {
  // The control block is below every call's data, so a view made now covers it for good;
  // the units need a view of the memory as it is at each call (it may have grown).
  const ctl = new Int32Array(memory.buffer);
  const bell = c + CTL_WORKERS + 2 * index;
  for (;;) {
    Atomics.wait(ctl, bell, rung);
    const now = Atomics.load(ctl, bell);
    if (now === rung) continue;
    rung = now;
    if (Atomics.load(ctl, c + CTL_STOP) !== 0) return;
    try {
      const i32 = new Int32Array(memory.buffer);
      runUnits(k, i32, i32[c + CTL_QUEUE]!, i32[c + CTL_COUNT]!, i32[c + CTL_DECODE] !== 0, i32[bell + 1]!);
    } catch (e) {
      post({ type: "error", call: true, message: (e as Error).message });
      Atomics.add(ctl, c + CTL_FAILED, 1);
    }
    if (Atomics.add(ctl, c + CTL_DONE, 1) + 1 === Atomics.load(ctl, c + CTL_ACTIVE)) {
      Atomics.notify(ctl, c + CTL_DONE);
      if (Atomics.load(ctl, c + CTL_MESSAGE) !== 0) post({ type: "done" });
    }
  }
}
