// createAttentionPool: attention on several threads over one shared wasm memory.
//
// The main thread checks the call and lays it out in a shared WebAssembly.Memory (the
// simd-threads build imports it), copying each input once; the workers instantiate the
// same module over that memory and each runs its share of (batch·head, query block)
// units, so a single head with a long sequence spreads over the threads too. The units
// (one query block of one head each, see units()) are queued in the shared memory; each
// worker takes the next unit with an atomic add until none are left, so a worker whose
// core is slower (a busy neighbour on a shared host) simply takes fewer. Each worker has
// its own parameter block and scratch. The main thread rings each worker's doorbell in
// the pool's control block and waits for the last one's notify with Atomics.waitAsync
// (pool-worker-core.ts); a call too small to share (tuning.poolMinMacs) runs on the
// calling thread, on the pool's own instance of the same module.
// Where SharedArrayBuffer is missing (a page without COOP/COEP headers, workerd), the
// pool says so once and runs attention() on the calling thread instead, same results.
import type { AttentionOptions, AttentionResult, Float32Tensor } from "./types.js";
import { WasmEngine, P_SCRATCH_SLOT, P_COUNT_SLOTS, P_GUARDS_SLOT } from "./abi.js";
import { planAttention, type Plan } from "./plan.js";
import { attention } from "./attention.js";
import { tuning } from "./tuning.js";
import { checkInt, checkOptionNames, describe } from "./check.js";
import {
  QUEUE_UNITS, CTL_DONE, CTL_FAILED, CTL_QUEUE, CTL_COUNT, CTL_DECODE, CTL_ACTIVE, CTL_MESSAGE, CTL_STOP, CTL_WORKERS,
  controlSlots, type FromWorker, type ToWorker,
} from "./pool-worker-core.js";

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };

/** Resolves once a[index] ≥ n (the workers count themselves done there and notify). */
async function untilDone(waitAsync: WaitAsync, a: Int32Array, index: number, n: number): Promise<void> {
  for (;;) {
    const d = Atomics.load(a, index);
    if (d >= n) return;
    const r = waitAsync(a, index, d);
    if (r.async) await r.value;
  }
}

export interface AttentionPoolOptions {
  /** Worker threads (default: the number of cores, at least 1). */
  threads?: number;
}

export interface AttentionPool {
  /** Workers running; 0 when the pool fell back to the calling thread. */
  readonly threads: number;
  /** attention() split over the workers; resolves to the same result. Calls queue in order. */
  attention(q: Float32Tensor, k: Float32Tensor, v: Float32Tensor, options?: AttentionOptions): Promise<AttentionResult>;
  /** Stops the workers; later calls reject. */
  close(): Promise<void>;
}

/** What a runtime supplies: how to start a worker, the simd-threads module, the core count. */
export interface PoolHost {
  spawn(): PoolWorker;
  module(): Promise<WebAssembly.Module>;
  cores: number;
  /** Why threads cannot run here, or null. */
  unavailable(): string | null;
}

export interface PoolWorker {
  post(m: ToWorker): void;
  onMessage(f: (m: FromWorker) => void): void;
  /** Keep the process alive while a job runs (Node); no-op in browsers. */
  busy(on: boolean): void;
  terminate(): Promise<unknown> | void;
}

let warned = false;

export async function createPoolWith(host: PoolHost, options?: AttentionPoolOptions): Promise<AttentionPool> {
  const fn = "createAttentionPool";
  const o = options ?? {};
  if (typeof o !== "object" || Array.isArray(o)) throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  checkOptionNames(fn, "option", o, ["threads"]);
  const threads = o.threads === undefined ? Math.max(1, host.cores) : checkInt(fn, "threads", o.threads, 1, 256);
  const why = host.unavailable();
  if (why !== null) {
    if (!warned) {
      warned = true;
      console.warn(`wasm-attention: ${fn}: ${why}; the pool runs single-threaded on the calling thread (same results).`);
    }
    return fallbackPool();
  }
  const module = await host.module();
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const engine = new WasmEngine(new WebAssembly.Instance(module, { env: { memory } }));
  // The control block lives for the pool, below every call's data (CTL_*).
  const control = engine.alloc(fn, "pool control block", controlSlots(threads) * 4);
  const c = control >> 2;
  const ctl = () => new Int32Array(memory.buffer);
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (!waitAsync) ctl()[c + CTL_MESSAGE] = 1;
  // The call in progress: how its end (the "done" message, without Atomics.waitAsync), a
  // worker's failure, or the message of a unit that threw reach it.
  interface Current { done: () => void; fail: (e: Error) => void; errors: string[]; posted: () => void }
  let current: Current | null = null;
  let broken: Error | null = null;
  let started = false;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const workers: PoolWorker[] = [];
  try {
    await Promise.all(Array.from({ length: threads }, (_, index) => new Promise<void>((resolve, reject) => {
      const w = host.spawn();
      workers.push(w);
      w.onMessage((m) => {
        if (m.type === "ready") resolve();
        else if (m.type === "done") current?.done();
        else if (m.call) { current?.errors.push(m.message); current?.posted(); }
        else {
          // The worker itself failed: before it started, or (a crash) at any time after;
          // the call in progress and every later one reject.
          broken = new Error(`${started ? "pool.attention" : fn}: a worker failed: ${m.message}`);
          reject(broken);
          current?.fail(broken);
        }
      });
      w.post({ type: "init", module, memory, control, index });
    })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const w of workers) w.busy(false);
  started = true;

  const call = async (plan: Plan): Promise<AttentionResult> => {
    const fnc = "pool.attention";
    if (broken) throw broken;
    if (onCallingThread(plan)) {
      // The same kernels on this thread (the pool's own instance), so the same results.
      const { scores: _, ...res } = engine.run(fnc, plan);
      return res;
    }
    const L = engine.arena();
    const a = engine.layoutAttend(plan, L);
    // One parameter block and one scratch region per worker beyond the first.
    const scratchBytes = engine.exports.attentionScratchBytes(plan.Dk, plan.Dv, tuning.blockQ, tuning.blockK);
    const extra = workers.slice(1).map(() => ({ params: L.take("parameters", P_COUNT_SLOTS * 4), scratch: L.take("scratch", scratchBytes) }));
    const decode = plan.Lq <= tuning.decodeMaxRows;
    const work = units(plan, decode);
    const count = work.length / 3;
    // The work queue (QUEUE_* slots, then the units [bh, q0, q1]).
    const queueAt = L.take("work queue", (QUEUE_UNITS + work.length) * 4);
    // Whether each (batch, KV head)'s V holds a non-finite value: found once, shared (P_GUARDS).
    const guards = L.take("V guards", plan.B * plan.Hkv);
    engine.ensure(fnc, L.top, L.parts);
    engine.writeAttend(plan, a);
    const i32 = ctl();
    i32.fill(0, queueAt >> 2, (queueAt >> 2) + QUEUE_UNITS);
    i32.set(work, (queueAt >> 2) + QUEUE_UNITS);
    new Uint8Array(memory.buffer, guards, plan.B * plan.Hkv).fill(0);
    i32[(a.params >> 2) + P_GUARDS_SLOT] = guards;
    const blocks = [{ params: a.params, scratch: a.scratch }, ...extra];
    for (const b of blocks.slice(1)) {
      i32.copyWithin(b.params >> 2, a.params >> 2, (a.params >> 2) + P_COUNT_SLOTS);
      i32[(b.params >> 2) + P_SCRATCH_SLOT] = b.scratch;
    }
    // The workers are rung once everything is in memory, and the output array is made
    // when the results are copied out, as attention() makes it. (Waking a worker before
    // the copy to start on the heads already copied often put it on the copying thread's
    // core: the copy phase took 1.9 ms at p75 instead of 0.6. In the benchmark's harness,
    // waking the workers early to wait on a flag measured no faster, and neither did the
    // earlier pool, which allocated and touched the output while the workers ran.)
    const active = workers.slice(0, Math.min(workers.length, count));
    i32[c + CTL_DONE] = 0; i32[c + CTL_FAILED] = 0;
    i32[c + CTL_QUEUE] = queueAt; i32[c + CTL_COUNT] = count; i32[c + CTL_DECODE] = decode ? 1 : 0;
    i32[c + CTL_ACTIVE] = active.length;
    const cur: Current = { done: () => undefined, fail: () => undefined, errors: [], posted: () => undefined };
    const ended = new Promise<void>((resolve, reject) => { cur.done = resolve; cur.fail = reject; });
    current = cur;
    for (const w of active) w.busy(true);
    try {
      active.forEach((_, w) => {
        const bell = c + CTL_WORKERS + 2 * w;
        i32[bell + 1] = blocks[w]!.params;
        Atomics.add(i32, bell, 1);
        Atomics.notify(i32, bell, 1);
      });
      if (active.length === 0) cur.done(); // no rows: nothing to run
      else if (waitAsync) void untilDone(waitAsync, i32, c + CTL_DONE, active.length).then(cur.done);
      await ended;
      const failed = Atomics.load(i32, c + CTL_FAILED);
      if (failed > 0) {
        // Each failing worker posted its message before counting itself done.
        while (cur.errors.length < failed) await new Promise<void>((r) => { cur.posted = r; });
        throw new Error(`pool.attention: a worker failed: ${cur.errors[0]}`);
      }
    } finally {
      current = null;
      for (const w of active) w.busy(false);
    }
    engine.scores(plan, a);
    const { scores: _, ...res } = engine.collect(plan, a);
    return res;
  };

  return {
    threads,
    attention(q, k, v, options) {
      if (closed) return Promise.reject(new Error("pool.attention: the pool is closed"));
      let plan: Plan;
      try { plan = planAttention("pool.attention", q, k, v, options); } catch (e) { return Promise.reject(e); }
      const lengths = arraysOf(plan).map(([, x]) => x.byteLength);
      const p = queue.then(() => {
        // The call may have waited in the queue while the caller transferred an array.
        arraysOf(plan).forEach(([name, x], i) => {
          if (x.byteLength !== lengths[i]) throw new TypeError(`pool.attention: ${name} was detached (its buffer transferred) while the call waited in the queue`);
        });
        return call(plan);
      });
      queue = p.catch(() => undefined);
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      // Out of their loops (a worker blocked in Atomics.wait ends with terminate() as well).
      const i32 = ctl();
      Atomics.store(i32, c + CTL_STOP, 1);
      workers.forEach((_, w) => { Atomics.add(i32, c + CTL_WORKERS + 2 * w, 1); Atomics.notify(i32, c + CTL_WORKERS + 2 * w); });
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** The caller's arrays a call reads or writes. */
function arraysOf(plan: Plan): [string, ArrayBufferView][] {
  const list: [string, ArrayBufferView][] = [["q", plan.q], ["k", plan.k], ["v", plan.v]];
  if (plan.mask) list.push(["mask", plan.mask.data]);
  if (plan.out) list.push(["out", plan.out]);
  return list;
}

function fallbackPool(): AttentionPool {
  let closed = false;
  return {
    threads: 0,
    async attention(q, k, v, options) {
      if (closed) throw new Error("pool.attention: the pool is closed");
      return attention(q, k, v, options);
    },
    async close() { closed = true; },
  };
}

/** Whether the pool runs this call on the calling thread: too little work to share (tuning.poolMinMacs). */
export function onCallingThread(plan: Plan): boolean {
  return plan.B * plan.Hq * plan.Lq * plan.Lkv * (plan.Dk + plan.Dv) < tuning.poolMinMacs;
}

/**
 * Cuts a call into units [bh, q0, q1] for the workers to take from a queue: one query
 * block of one head each (decoding, a few rows: one head each), in head order, so
 * consecutive units share a head's K and V. Small units keep the workers finishing
 * together even when one core runs slower than the other (a busy neighbour on a shared
 * host). The earlier cut (ranges of about equal cost, about 8 per worker, longest first)
 * measured the same in the benchmark's harness; this one is simpler, and P_GUARDS keeps
 * it from scanning V once per unit. Rows are cut on query-block multiples, so every row
 * is computed exactly as attention() computes it.
 */
export function units(plan: Plan, decode: boolean): Int32Array {
  const heads = plan.B * plan.Hq;
  const bq = decode ? Math.max(1, plan.Lq) : tuning.blockQ;
  const out = new Int32Array(3 * heads * Math.ceil(plan.Lq / bq));
  let u = 0;
  for (let bh = 0; bh < heads; bh++) {
    for (let q0 = 0; q0 < plan.Lq; q0 += bq) {
      out[u++] = bh; out[u++] = q0; out[u++] = Math.min(plan.Lq, q0 + bq);
    }
  }
  return out;
}
