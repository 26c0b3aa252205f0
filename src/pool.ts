// createAttentionPool: attention on several threads over one shared wasm memory.
//
// The calling thread checks the call and lays it out in a shared WebAssembly.Memory (the
// simd-threads build imports it), copying each input once; the workers instantiate the
// same module over that memory, and each thread runs its share of (batch·head, query
// block) units, so a single head with a long sequence spreads over the threads too. The
// units (one query block of one head each, see units()) are queued in the shared
// memory; each thread takes the next unit with an atomic add until none are left, so a
// thread whose core is slower (a busy neighbour on a shared host) simply takes fewer.
// Each thread has its own parameter block and scratch. The calling thread rings each
// worker's doorbell in the pool's control block (pool-worker-core.ts) and awaits the end
// of the call (Atomics.waitAsync), its event loop free. With useCallingThread it takes
// units itself after ringing, as onnxruntime-web's and XNNPACK's thread pools have the
// calling thread do: on 2 cores that is one worker to wake instead of two. In
// `npm run bench:threads` on 2 cores the two measured the same within the noise on the
// large shapes (bert-512, gpt2-prefill, long-4k; either ahead by run). On mid-size calls
// one after another the calling thread's help was faster (bert-base's 12 heads × 128
// tokens: 1.14-1.40× one thread in eight runs, against 1.08-1.21× for two workers), but
// after an idle spell slower (1.04-1.15× against 1.20-1.21× in three runs; 12 heads ×
// 192 tokens 0.99-1.03× against 1.45-1.46× in two of them: the woken worker waited
// behind the busy calling thread for its core), and it blocks the calling thread: hence
// workers only, by default. Either way the calling thread waits for the units still running (with
// useCallingThread, once out of units: a short spin first), then closes the call
// (CTL_GATE): it waits only for workers that entered it, never for one whose core had
// not woken up by the time the work ran out. A call too small to share
// (tuning.poolMinMacs) runs on the calling thread alone, on the pool's own instance of
// the same module.
// Where SharedArrayBuffer is missing (a page without COOP/COEP headers, workerd), the
// pool says so once and runs attention() on the calling thread instead, same results.
import type { AttentionOptions, AttentionResult, Float32Tensor } from "./types.js";
import { WasmEngine, P_SCRATCH_SLOT, P_COUNT_SLOTS, P_GUARDS_SLOT } from "./abi.js";
import { planAttention, type Plan } from "./plan.js";
import { attention } from "./attention.js";
import { tuning } from "./tuning.js";
import { checkInt, checkOptionNames, describe } from "./check.js";
import {
  QUEUE_UNITS, CTL_GATE, CTL_DONE, CTL_UNITS, CTL_FAILED, CTL_QUEUE, CTL_COUNT, CTL_DECODE, CTL_MESSAGE, CTL_STOP, CTL_WORKERS, GATE_CLOSED,
  controlSlots, runUnits, type FromWorker, type ToWorker,
} from "./pool-worker-core.js";

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };

/**
 * How long the calling thread, done with its own units, spins for the workers' last ones
 * before it waits through the event loop (ms). A unit is one query block of one head:
 * about 0.1 ms for bert-512 and 0.8 ms for long-4k on this project's 2-core machine.
 */
const SPIN_MS = 1;

/** Spins until a[index] ≥ n or `ms` have passed (a browser's main thread may not Atomics.wait). */
function spinUntil(a: Int32Array, index: number, n: number, ms: number): void {
  const t0 = performance.now();
  while (Atomics.load(a, index) < n && performance.now() - t0 < ms);
}


export interface AttentionPoolOptions {
  /** Threads that share each call (default: the number of cores, at least 1). */
  threads?: number;
  /**
   * false (default): `threads` workers do all of each call, and the calling thread stays
   * free while they run. true: the calling thread is one of `threads` (the pool starts
   * threads − 1 workers) and computes its share of each call, as onnxruntime-web and
   * XNNPACK's pthreadpool do; pool.attention() then holds the calling thread for about
   * 1 / threads of the call before it returns its promise. Faster for mid-size calls
   * that follow each other closely, slower for one after an idle spell (README).
   */
  useCallingThread?: boolean;
}

export interface AttentionPool {
  /** Threads sharing each call (the calling thread counted when it joins); 0 when the pool fell back to attention() on the calling thread. */
  readonly threads: number;
  /** Worker threads running. */
  readonly workers: number;
  /** attention() split over the pool's threads; resolves to the same result. Calls queue in order. */
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
  checkOptionNames(fn, "option", o, ["threads", "useCallingThread"]);
  const threads = o.threads === undefined ? Math.max(1, host.cores) : checkInt(fn, "threads", o.threads, 1, 256);
  if (o.useCallingThread !== undefined && typeof o.useCallingThread !== "boolean") {
    throw new TypeError(`${fn}: useCallingThread must be a boolean, got ${describe(o.useCallingThread)}`);
  }
  const joins = o.useCallingThread ?? false;
  const nWorkers = joins ? threads - 1 : threads;
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
  const control = engine.alloc(fn, "pool control block", controlSlots(nWorkers) * 4);
  const c = control >> 2;
  const ctl = () => new Int32Array(memory.buffer);
  ctl()[c + CTL_GATE] = GATE_CLOSED; // no call open
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (!waitAsync) ctl()[c + CTL_MESSAGE] = 1;
  // The call in progress: how a worker's "done" message (without Atomics.waitAsync), a
  // worker's failure, or the message of a unit that threw reach it.
  interface Current { wake: () => void; fail: (e: Error) => void; errors: string[]; posted: () => void }
  let current: Current | null = null;
  let broken: Error | null = null;
  let started = false;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const workers: PoolWorker[] = [];
  try {
    await Promise.all(Array.from({ length: nWorkers }, (_, index) => new Promise<void>((resolve, reject) => {
      const w = host.spawn();
      workers.push(w);
      w.onMessage((m) => {
        if (m.type === "ready") resolve();
        else if (m.type === "done") current?.wake();
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
    // One parameter block and one scratch region per thread: the layout's own for the
    // calling thread (or the first worker, when the calling thread does not join).
    const scratchBytes = engine.exports.attentionScratchBytes(plan.Dk, plan.Dv, tuning.blockQ, tuning.blockK);
    const extra = workers.slice(joins ? 0 : 1).map(() => ({ params: L.take("parameters", P_COUNT_SLOTS * 4), scratch: L.take("scratch", scratchBytes) }));
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
    for (const b of extra) {
      i32.copyWithin(b.params >> 2, a.params >> 2, (a.params >> 2) + P_COUNT_SLOTS);
      i32[(b.params >> 2) + P_SCRATCH_SLOT] = b.scratch;
    }
    const workerBlocks = joins ? extra : [{ params: a.params }, ...extra];
    // The workers are rung once everything is in memory, and the output array is made
    // when the results are copied out, as attention() makes it. (Rung before the copy to
    // spin until it was done, a worker often landed on the copying thread's core: with
    // two workers the copy took 1.9 ms at p75 instead of 0.6; with one beside the calling
    // thread, the split of bert-512's 192 units between the two swung from 76/116 to
    // 115/77 between calls, against 97-99 for the calling thread when rung after it, and
    // the benchmark's harness measured no gain either way.)
    // Workers rung: no more than there are units beyond the calling thread's first.
    const active = workers.slice(0, Math.max(0, Math.min(workers.length, joins ? count - 1 : count)));
    i32[c + CTL_DONE] = 0; i32[c + CTL_UNITS] = 0; i32[c + CTL_FAILED] = 0;
    i32[c + CTL_QUEUE] = queueAt; i32[c + CTL_COUNT] = count; i32[c + CTL_DECODE] = decode ? 1 : 0;
    workers.forEach((_, w) => { i32[c + CTL_WORKERS + 2 * w + 1] = workerBlocks[w]!.params; });
    const cur: Current = { wake: () => undefined, fail: () => undefined, errors: [], posted: () => undefined };
    const failure = new Promise<never>((_, reject) => { cur.fail = reject; });
    failure.catch(() => undefined); // seen through until()
    current = cur;
    // Resolves once i32[index] ≥ n: woken by the workers' notify (Atomics.waitAsync) or
    // their "done" messages; rejects if a worker fails.
    const until = async (index: number, n: number): Promise<void> => {
      for (;;) {
        const v = Atomics.load(i32, index);
        if (v >= n) return;
        let next: Promise<unknown>;
        if (waitAsync) {
          const r = waitAsync(i32, index, v);
          if (!r.async) continue;
          next = r.value as Promise<string>;
        } else next = new Promise<void>((r) => { cur.wake = r; });
        await Promise.race([next, failure]);
      }
    };
    for (const w of active) w.busy(true);
    let own: { error: unknown } | null = null;
    try {
      Atomics.store(i32, c + CTL_GATE, 0); // open: the fields above are this call's
      active.forEach((_, w) => {
        const bell = c + CTL_WORKERS + 2 * w;
        Atomics.add(i32, bell, 1);
        Atomics.notify(i32, bell, 1);
      });
      if (joins) {
        // The calling thread's share; whatever happens, the workers that entered finish
        // before the call settles (they are reading and writing this call's memory).
        own = runUnits(engine.exports, i32, queueAt, count, decode, a.params, c + CTL_UNITS);
        // The workers' last units are usually running when the calling thread runs out of
        // units: a short spin catches their end without a trip through the event loop.
        spinUntil(i32, c + CTL_UNITS, count, SPIN_MS);
      }
      await until(c + CTL_UNITS, count);
      // Every unit is finished: close the call. A worker still asleep (rung, but its core
      // slow to wake) finds it closed and touches nothing; those that entered are done
      // with their units and about to count themselves done.
      const entered = Atomics.add(i32, c + CTL_GATE, GATE_CLOSED);
      if (joins) spinUntil(i32, c + CTL_DONE, entered, SPIN_MS);
      await until(c + CTL_DONE, entered);
      const failed = Atomics.load(i32, c + CTL_FAILED);
      if (failed > 0) {
        // Each failing worker posted its message before counting itself done.
        while (cur.errors.length < failed) await new Promise<void>((r) => { cur.posted = r; });
        throw new Error(`pool.attention: a worker failed: ${cur.errors[0]}`);
      }
      if (own) throw new Error(`pool.attention: the calling thread's share failed: ${own.error instanceof Error ? own.error.message : String(own.error)}`, { cause: own.error });
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
    workers: nWorkers,
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
    workers: 0,
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
 * Cuts a call into units [bh, q0, q1] for the threads to take from a queue: one query
 * block of one head each (decoding, a few rows: one head each), in head order, so
 * consecutive units share a head's K and V. Small units keep the threads finishing
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
