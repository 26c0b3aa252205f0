// createAttentionPool: attention on several threads over one shared wasm memory.
//
// The main thread checks the call and lays it out in a shared WebAssembly.Memory (the
// simd-threads build imports it), copying each input once; the workers instantiate the
// same module over that memory and each runs its share of (batch·head, query block)
// units, so a single head with a long sequence spreads over the threads too. The units
// (one query block of one head each, see units()) are queued in the shared memory; each
// worker takes the next unit with an atomic add until none are left, so a worker whose
// core is slower (a busy neighbour on a shared host) simply takes fewer. Each worker has
// its own parameter block and scratch.
// Where SharedArrayBuffer is missing (a page without COOP/COEP headers, workerd), the
// pool says so once and runs attention() on the calling thread instead, same results.
import type { AttentionOptions, AttentionResult, Float32Tensor } from "./types.js";
import { WasmEngine, P_SCRATCH_SLOT, P_COUNT_SLOTS, P_GUARDS_SLOT } from "./abi.js";
import { planAttention, type Plan } from "./plan.js";
import { attention } from "./attention.js";
import { tuning } from "./tuning.js";
import { checkInt, checkOptionNames, describe } from "./check.js";
import { QUEUE_UNITS, type FromWorker, type ToWorker } from "./pool-worker-core.js";

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
  const workers: PoolWorker[] = [];
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;
  try {
    await Promise.all(Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
      const w = host.spawn();
      workers.push(w);
      w.onMessage((m) => {
        if (m.type === "ready") { resolve(); return; }
        if (m.type === "error" && m.id === -1) {
          // The worker itself failed: before it started, or (a crash) while jobs wait on it.
          const e = new Error(`${fn}: a worker failed: ${m.message}`);
          reject(e);
          for (const j of pending.values()) j.reject(e);
          pending.clear();
          return;
        }
        const job = pending.get(m.id);
        if (!job) return;
        pending.delete(m.id);
        if (m.type === "done") job.resolve();
        else job.reject(new Error(`attention pool: a worker failed: ${m.message}`));
      });
      w.post({ type: "init", module, memory });
    })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const w of workers) w.busy(false);

  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const runOn = (w: PoolWorker, decode: boolean, params: number, queue: number, count: number) =>
    new Promise<void>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.post({ type: "run", id, decode, params, queue, count });
    });

  const call = async (plan: Plan): Promise<AttentionResult> => {
    const fnc = "pool.attention";
    const L = engine.arena();
    const a = engine.layoutAttend(plan, L);
    // One parameter block and one scratch region per worker beyond the first.
    const scratchBytes = engine.exports.attentionScratchBytes(plan.Dk, plan.Dv, tuning.blockQ, tuning.blockK);
    const extra = workers.slice(1).map(() => ({ params: L.take("parameters", P_COUNT_SLOTS * 4), scratch: L.take("scratch", scratchBytes) }));
    const decode = plan.Lq <= tuning.decodeMaxRows;
    const work = units(plan, decode);
    const count = work.length / 3;
    // The work queue (QUEUE_* slots, then the units [bh, q0, q1]).
    const queue = L.take("work queue", (QUEUE_UNITS + work.length) * 4);
    // Whether each (batch, KV head)'s V holds a non-finite value: found once, shared (P_GUARDS).
    const guards = L.take("V guards", plan.B * plan.Hkv);
    engine.ensure(fnc, L.top, L.parts);
    engine.writeAttend(plan, a);
    const i32 = new Int32Array(memory.buffer);
    i32.fill(0, queue >> 2, (queue >> 2) + QUEUE_UNITS);
    i32.set(work, (queue >> 2) + QUEUE_UNITS);
    new Uint8Array(memory.buffer, guards, plan.B * plan.Hkv).fill(0);
    i32[(a.params >> 2) + P_GUARDS_SLOT] = guards;
    const blocks = [{ params: a.params, scratch: a.scratch }, ...extra];
    for (const b of blocks.slice(1)) {
      i32.copyWithin(b.params >> 2, a.params >> 2, (a.params >> 2) + P_COUNT_SLOTS);
      i32[(b.params >> 2) + P_SCRATCH_SLOT] = b.scratch;
    }
    // The workers are woken once everything is in memory, and the output array is made
    // when the results are copied out, as attention() makes it. (Waking a worker before
    // the copy to start on the heads already copied often put it on the copying thread's
    // core: the copy phase took 1.9 ms at p75 instead of 0.6. In the benchmark's harness,
    // waking the workers early to wait on a flag measured no faster, and neither did the
    // earlier pool, which allocated and touched the output while the workers ran.)
    const active = workers.slice(0, Math.min(workers.length, count));
    for (const w of active) w.busy(true);
    try {
      await Promise.all(active.map((w, i) => runOn(w, decode, blocks[i]!.params, queue, count)));
    } finally {
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
      await Promise.all(workers.map((w) => w.terminate()));
      for (const j of pending.values()) j.reject(new Error("pool.attention: the pool was closed"));
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
