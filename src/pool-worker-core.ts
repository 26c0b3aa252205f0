// The body of one pool worker, for Node worker_threads and browser Web Workers alike
// (pool-worker-node.ts and pool-worker-web.ts only wire the message port). It
// instantiates the simd-threads build over the pool's shared memory, says it is ready,
// and from then on lives in a loop outside the event loop: it sleeps on its doorbell in
// the pool's control block (Atomics.wait), and each ring is a call whose inputs are
// already in memory; it takes units of work from that call's queue ((head, query range)
// triples) until the queue is empty, counts itself done, and sleeps again. When the
// calling thread joins the work (useCallingThread), it takes units from the same queue.
//
// Calls are signalled through shared memory (a futex wake each way, as pthreadpool
// does), not by a message to each worker and one back. In the benchmark's harness this
// measured the same as messages on bert-512, gpt2-prefill and long-4k (within 1-3%, either
// way by run order) and cut the pool's cost on a tiny call (edge-small: 0.25-0.29 ms per
// call against 0.31 ms with messages; both orders, 2 cores).

/** A call's work queue in the shared memory (i32 slots): units taken so far, then the units [bh, q0, q1]. */
export const QUEUE_TAKEN = 0, QUEUE_UNITS = 1;

/**
 * The pool's control block (i32 slots), written by the calling thread before it opens
 * the gate and rings:
 * GATE  ≥ 0 while a call is open: the number of workers that entered it. A worker enters
 *       by adding 1 and takes part only if the old value was ≥ 0. The calling thread
 *       closes the call by adding GATE_CLOSED, which tells it how many entered: a worker
 *       that wakes after that touches nothing of the call, so the calling thread never
 *       waits for a worker that was still asleep when the work ran out;
 * DONE  workers that entered and finished (each notifies it, and posts "done" when MESSAGE);
 * UNITS units finished (by whichever thread; the one finishing the last notifies it);
 * FAILED workers whose units threw in the current call (each posts an "error" message first);
 * QUEUE byte address of the call's work queue (QUEUE_*); COUNT its units;
 * DECODE 1: the units run the decode kernel;
 * MESSAGE 1: workers also post "done" (a calling thread without Atomics.waitAsync);
 * STOP 1: the workers leave their loop.
 * Then per worker w: CTL_WORKERS + 2w its doorbell (rung by adding 1), + 1 its parameter
 * block (written for every worker at every call: a worker not rung may still enter).
 */
export const CTL_GATE = 0, CTL_DONE = 1, CTL_UNITS = 2, CTL_FAILED = 3, CTL_QUEUE = 4, CTL_COUNT = 5,
  CTL_DECODE = 6, CTL_MESSAGE = 7, CTL_STOP = 8, CTL_WORKERS = 9;

/** Added to CTL_GATE to close a call (any count of entries keeps it negative). */
export const GATE_CLOSED = -(2 ** 30);

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
 * `params` (its own scratch), counting each finished unit at i32[unitsDone]. A unit that
 * throws counts as finished too and the thread goes on with the next ones, so the call
 * ends (and fails) even when every thread's units throw; the first error is returned
 * ({ error }), null if none. A pool worker runs this for each call it enters; so does the
 * calling thread when it joins the work. `i32` views the memory as it is for this call.
 */
export function runUnits(k: Kernels, i32: Int32Array, queue: number, count: number, decode: boolean, params: number, unitsDone: number): { error: unknown } | null {
  const at = queue >> 2;
  let failed: { error: unknown } | null = null;
  for (;;) {
    const i = Atomics.add(i32, at + QUEUE_TAKEN, 1);
    if (i >= count) return failed;
    const u = at + QUEUE_UNITS + 3 * i;
    const bh = i32[u]!, q0 = i32[u + 1]!, q1 = i32[u + 2]!;
    try {
      if (decode) k.attentionDecode(params, bh, bh + 1, q0, q1);
      else k.attentionFlash(params, bh, bh + 1, q0, q1);
    } catch (error) {
      failed ??= { error };
    }
    if (Atomics.add(i32, unitsDone, 1) + 1 === count) Atomics.notify(i32, unitsDone);
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
    // Rung for a call that is over already (its work ran out first): nothing to do.
    if (Atomics.add(ctl, c + CTL_GATE, 1) < 0) continue;
    const i32 = new Int32Array(memory.buffer);
    const failed = runUnits(k, i32, i32[c + CTL_QUEUE]!, i32[c + CTL_COUNT]!, i32[c + CTL_DECODE] !== 0, i32[bell + 1]!, c + CTL_UNITS);
    if (failed) {
      post({ type: "error", call: true, message: failed.error instanceof Error ? failed.error.message : String(failed.error) });
      Atomics.add(ctl, c + CTL_FAILED, 1);
    }
    Atomics.add(ctl, c + CTL_DONE, 1);
    Atomics.notify(ctl, c + CTL_DONE);
    if (Atomics.load(ctl, c + CTL_MESSAGE) !== 0) post({ type: "done" });
  }
}
