// createAttentionPool on Node worker_threads: every case of the shared list through a
// 2-thread pool (two workers, then the calling thread and a worker) equals attention()
// on the simd build bit for bit (same kernels, same query blocks, each row computed by
// exactly one thread), and so meets the same reference bounds; plus queueing, bad input,
// options, close, small calls on the calling thread, the end of a call signalled by
// message (no Atomics.waitAsync), bursts of calls with idle spells between, workers
// that fail, take no units, never wake or wake into the next call, and the single-thread
// fallback. The shared-list cases are small, so they run with poolMinMacs = 0: every
// call is shared.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { attention, createAttentionPool, init } from "../src/index.js";
import { Worker } from "node:worker_threads";
import { createPoolWith, onCallingThread, units, type AttentionPool, type PoolHost, type PoolWorker } from "../src/pool.js";
import { CTL_DONE, CTL_FAILED, CTL_GATE, CTL_QUEUE, CTL_COUNT, CTL_DECODE, CTL_UNITS, CTL_STOP, CTL_WORKERS, type FromWorker } from "../src/pool-worker-core.js";
import { planAttention } from "../src/plan.js";
import { setTuning, DEFAULT_TUNING, tuning } from "../src/tuning.js";
import { benchCases, makeInputs, randomCases, sizeCases, suiteCases, tinyBlockCases, TINY_BLOCKS, type AttentionCase } from "./cases.js";

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

// Both ways of sharing a call: two workers with the calling thread waiting (the
// default), and the calling thread taking units beside one worker.
describe.each([
  ["2 workers (the default)", undefined, 2],
  ["the calling thread and 1 worker (useCallingThread: true)", true, 1],
] as const)("attention pool (Node worker_threads, simd-threads build): %s", (_, useCallingThread, workers) => {
  let pool: AttentionPool;
  beforeAll(async () => {
    await init(undefined, { build: "simd" });
    setTuning({ poolMinMacs: 0 });
    pool = await createAttentionPool({ threads: 2, useCallingThread });
  });
  afterAll(() => { setTuning(DEFAULT_TUNING); return pool.close(); });

  test(`runs on 2 threads, ${workers} of them workers`, () => {
    expect(pool.threads).toBe(2);
    expect(pool.workers).toBe(workers);
  });

  // attention()'s own suite (test/cases.ts), result for result.
  test.each(suiteCases.map((c) => [c.name, c] as const))("%s: same as attention()", async (_, c) => {
    const x = makeInputs(c);
    const want = attention(x.q, x.k, x.v, { ...x.options, out: undefined });
    const got = await pool.attention(x.q, x.k, x.v, x.options);
    expect(got.dims).toEqual(want.dims);
    expect(same(got.data, want.data), `${c.name}: output differs`).toBe(true);
    if (c.returnLse) expect(same(got.lse!.data, want.lse!.data)).toBe(true);
    if (c.returnWeights) expect(same(got.weights!.data, want.weights!.data)).toBe(true);
    if (c.out) expect(got.data.buffer).toBe(x.options.out!.buffer);
  });

  // Tiny blocks (the suite's TINY_BLOCKS): several units per head, so the V checks shared
  // per (batch, KV head) meet every shape of the list (3D layouts, GQA, masks, lengths).
  describe("with tiny blocks", () => {
    beforeAll(() => { setTuning(TINY_BLOCKS); });
    afterAll(() => { setTuning({ blockQ: DEFAULT_TUNING.blockQ, blockK: DEFAULT_TUNING.blockK, decodeMaxRows: DEFAULT_TUNING.decodeMaxRows }); });
    // Each head's V is scanned once for non-finite values, by whichever unit reaches it
    // first, and the answer shared: every unit must guard P·V against NaN in a masked row.
    test("NaN in V at a masked key, GQA heads over several units each", async () => {
      const c: AttentionCase = { name: "nan-masked-v", B: 2, Hq: 4, Hkv: 2, Lq: 70, Lkv: 70, Dk: 8, Dv: 8, layout: "4d", causal: true };
      const x = makeInputs(c);
      const v = x.v.data as Float32Array;
      for (let h = 0; h < 2 * 2; h++) for (let d = 0; d < 8; d++) v[(h * 70 + 69) * 8 + d] = NaN; // the last key: only the last row sees it
      const want = attention(x.q, x.k, x.v, x.options);
      const got = await pool.attention(x.q, x.k, x.v, x.options);
      expect(same(got.data, want.data)).toBe(true);
      const nans = got.data.reduce((n, y) => n + (Number.isNaN(y) ? 1 : 0), 0);
      expect(nans).toBe(2 * 4 * 8); // the last row of each (batch, head), nothing else
    });

    test.each(tinyBlockCases.map((c) => [c.name, c] as const))("%s: same as attention()", async (_, c) => {
      const x = makeInputs(c);
      const want = attention(x.q, x.k, x.v, { ...x.options, out: undefined });
      const got = await pool.attention(x.q, x.k, x.v, x.options);
      expect(same(got.data, want.data), `${c.name}: output differs`).toBe(true);
      if (c.returnLse) expect(same(got.lse!.data, want.lse!.data)).toBe(true);
      if (c.returnWeights) expect(same(got.weights!.data, want.weights!.data)).toBe(true);
    });
  });

  test("concurrent calls queue and each gets its own answer", async () => {
    const xs = sizeCases.slice(0, 6).map((c) => makeInputs(c));
    const got = await Promise.all(xs.map((x) => pool.attention(x.q, x.k, x.v, x.options)));
    xs.forEach((x, i) => expect(same(got[i]!.data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data)).toBe(true));
  });

  // Bursts of calls with short idle spells between some: workers woken late, entering a
  // call after its work ran out or the next call's (CTL_GATE).
  test("many calls, in bursts and after idle spells: each gets its own answer", async () => {
    const xs = [...sizeCases.slice(0, 6), ...randomCases(6, 43)].map((c) => {
      const x = makeInputs(c);
      return { x, want: attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data };
    });
    for (let i = 0; i < 300; i++) {
      const burst = i % 5 === 0 ? [xs[i % xs.length]!, xs[(i * 7 + 1) % xs.length]!, xs[(i * 5 + 2) % xs.length]!] : [xs[i % xs.length]!];
      const got = await Promise.all(burst.map(({ x }) => pool.attention(x.q, x.k, x.v, x.options)));
      burst.forEach((b, j) => expect(same(got[j]!.data, b.want), `call ${i}.${j}`).toBe(true));
      if (i % 37 === 0) await new Promise((r) => setTimeout(r, 3));
    }
  });

  test("bad input rejects with the same error attention() throws, and the pool keeps working", async () => {
    const x = makeInputs(sizeCases[0]!);
    await expect(pool.attention(x.q, x.k, x.v, { casual: true } as never)).rejects.toThrow(/unknown option 'casual'.*'causal'/);
    await expect(pool.attention(x.q, { data: new Float64Array(4), dims: [4] } as never, x.v)).rejects.toThrow(TypeError);
    expect(same((await pool.attention(x.q, x.k, x.v)).data, attention(x.q, x.k, x.v).data)).toBe(true);
  });

  test("a call past what wasm memory holds rejects with a RangeError naming the parts, and the pool keeps working", async () => {
    // Inputs of a few MB asking for more than wasm32's 4 GiB (test/errors.test.ts has the same for attention()).
    const long = (L: number, D = 1) => ({ data: new Float32Array(L * D), dims: [1, 1, L, D] });
    await expect(pool.attention(long(65536), long(65536), long(65536), { returnWeights: true }))
      .rejects.toThrow(/pool\.attention: this call needs 16\.\d\d GiB of wasm memory.*scores 16\.00 GiB.*at most 4 GiB/);
    await expect(pool.attention({ data: new Float32Array(16 * 65536), dims: [1, 16, 65536, 1] }, long(768), long(768, 384), { returnWeights: true }))
      .rejects.toThrow(RangeError);
    const x = makeInputs(sizeCases[3]!);
    expect(same((await pool.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data)).toBe(true);
  });

  test("an input detached while its call waits in the queue rejects the call, and the pool keeps working", async () => {
    const x = makeInputs(sizeCases[0]!), y = makeInputs({ ...sizeCases[0]!, name: "y" });
    const first = pool.attention(x.q, x.k, x.v, x.options);
    const second = pool.attention(y.q, y.k, y.v, y.options);
    structuredClone(y.k.data.buffer, { transfer: [y.k.data.buffer] }); // y.k is now detached
    await first;
    await expect(second).rejects.toThrow(/pool.attention: k was detached \(its buffer transferred\) while the call waited in the queue/);
    expect(same((await pool.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data)).toBe(true);
  });

  test("calls below poolMinMacs run on the calling thread, with the same results", async () => {
    setTuning({ poolMinMacs: DEFAULT_TUNING.poolMinMacs });
    try {
      const small = benchCases.find((c) => c.name === "edge-small")!, big = benchCases.find((c) => c.name === "bert-base")!;
      const plan = (c: AttentionCase) => { const x = makeInputs(c); return planAttention("t", x.q, x.k, x.v, x.options); };
      expect(onCallingThread(plan(small))).toBe(true);
      expect(onCallingThread(plan(big))).toBe(false);
      for (const c of [small, ...sizeCases.slice(0, 4)]) {
        const x = makeInputs(c);
        const got = await pool.attention(x.q, x.k, x.v, x.options);
        expect(same(got.data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data), c.name).toBe(true);
      }
    } finally {
      setTuning({ poolMinMacs: 0 });
    }
  });

  test("without Atomics.waitAsync the last worker's message ends each call", async () => {
    const atomics = Atomics as unknown as { waitAsync?: unknown };
    const saved = atomics.waitAsync;
    delete atomics.waitAsync;
    let p: AttentionPool;
    try {
      p = await createAttentionPool({ threads: 2, useCallingThread });
    } finally {
      atomics.waitAsync = saved;
    }
    try {
      for (const c of [...sizeCases.slice(0, 6), ...randomCases(6, 41)]) {
        const x = makeInputs(c);
        const got = await p.attention(x.q, x.k, x.v, x.options);
        expect(same(got.data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data), c.name).toBe(true);
      }
      // No query rows: no worker runs, so none posts "done"; the call must end anyway.
      const kv = { data: new Float32Array(2 * 5 * 8), dims: [1, 2, 5, 8] };
      expect((await p.attention({ data: new Float32Array(0), dims: [1, 2, 0, 8] }, kv, kv)).dims).toEqual([1, 2, 0, 8]);
    } finally {
      await p.close();
    }
  });
});

describe("attention pool: options, close, fallback", () => {
  beforeAll(async () => { await init(undefined, { build: "simd" }); });

  test("options are checked by name and type", async () => {
    await expect(createAttentionPool({ threads: 0 })).rejects.toThrow(/createAttentionPool: threads must be an integer/);
    await expect(createAttentionPool({ useCallingThread: "yes" } as never)).rejects.toThrow(/createAttentionPool: useCallingThread must be a boolean, got string "yes"/);
    await expect(createAttentionPool({ thread: 2 } as never)).rejects.toThrow(/createAttentionPool: unknown option 'thread'/);
  });

  test("one thread that is the calling thread: no workers, the same results", async () => {
    const p = await createAttentionPool({ threads: 1, useCallingThread: true });
    try {
      expect([p.threads, p.workers]).toEqual([1, 0]);
      setTuning({ poolMinMacs: 0 });
      for (const c of sizeCases.slice(0, 6)) {
        const x = makeInputs(c);
        expect(same((await p.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data), c.name).toBe(true);
      }
    } finally {
      setTuning(DEFAULT_TUNING);
      await p.close();
    }
  });

  test("a closed pool rejects", async () => {
    const p = await createAttentionPool({ threads: 1 });
    await p.close();
    const x = makeInputs(sizeCases[0]!);
    await expect(p.attention(x.q, x.k, x.v)).rejects.toThrow(/closed/);
  });

  test("without SharedArrayBuffer the pool says so once and runs on the calling thread", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const host = { cores: 2, unavailable: () => "SharedArrayBuffer is not available (no COOP/COEP)", module: () => { throw new Error("not used"); }, spawn: () => { throw new Error("not used"); } };
    const a = await createPoolWith(host as never, { threads: 2 });
    const b = await createPoolWith(host as never, { threads: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/SharedArrayBuffer is not available.*single-threaded/);
    warn.mockRestore();
    expect([a.threads, a.workers]).toEqual([0, 0]);
    const x = makeInputs(sizeCases[3]!);
    expect(same((await b.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, x.options).data)).toBe(true);
  });
});

// Workers that fail, on real Node workers running scripts of their own (the pool's host
// interface with another worker body): the pool reports it, names the cause, and does not
// hang or go on with a broken worker.
describe("attention pool: failing workers", () => {
  // A host whose workers run `script`, with the control block's slots (and `data`) as workerData.
  const hostWith = (script: string, data: object = {}): PoolHost => ({
    cores: 2,
    unavailable: () => null,
    module: async () => WebAssembly.compile(await readFile(new URL("../build/simd-threads.wasm", import.meta.url))),
    spawn(): PoolWorker {
      const K = { CTL_DONE, CTL_FAILED, CTL_GATE, CTL_QUEUE, CTL_COUNT, CTL_DECODE, CTL_UNITS, CTL_STOP, CTL_WORKERS };
      const w = new Worker(script, { eval: true, workerData: { ...K, ...data } });
      return {
        post: (m) => w.postMessage(m),
        onMessage: (f) => { w.on("message", (m: FromWorker) => f(m)); w.on("error", (e) => f({ type: "error", call: false, message: e.message })); },
        busy: (on) => (on ? w.ref() : w.unref()),
        terminate: () => w.terminate(),
      };
    },
  });
  // Says ready, then waits for its doorbell like the real worker and does `onRing` (JS source).
  const ringScript = (onRing: string) => `
    const { parentPort, workerData: K } = require("node:worker_threads");
    parentPort.once("message", (m) => {
      parentPort.postMessage({ type: "ready" });
      const ctl = new Int32Array(m.memory.buffer), c = m.control >> 2, bell = c + K.CTL_WORKERS + 2 * m.index;
      Atomics.wait(ctl, bell, 0);
      ${onRing}
    });`;

  beforeAll(async () => { await init(undefined, { build: "simd" }); setTuning({ poolMinMacs: 0 }); });
  afterAll(() => { setTuning(DEFAULT_TUNING); });

  test("a worker slow to reach its loop after saying ready still gets the first call", async () => {
    // The real worker body (dist/), with 50 ms between "ready" and its loop: the pool rings
    // in that gap, and the ring must not be lost.
    const core = new URL("../dist/pool-worker-core.js", import.meta.url).href;
    const p = await createPoolWith(hostWith(`
      const { parentPort } = require("node:worker_threads");
      import(${JSON.stringify(core)}).then(({ serve }) => {
        parentPort.on("message", serve((m) => {
          parentPort.postMessage(m);
          if (m.type === "ready") { const t = Date.now(); while (Date.now() - t < 50); }
        }));
      });`), { threads: 2 });
    try {
      const x = makeInputs(sizeCases[3]!);
      expect(same((await p.attention(x.q, x.k, x.v)).data, attention(x.q, x.k, x.v).data)).toBe(true);
    } finally {
      await p.close();
    }
  });

  test("a worker that wakes late, in the next call, which did not ring it: it runs that call's units right", async () => {
    // Two workers that follow the real worker's steps (the real runUnits), except: worker
    // 0 sleeps 2 s after each ring; worker 1, rung for call A (8 units, done by the calling
    // thread alone meanwhile), waits until call B (2 units) is open before it tries to
    // enter. B rings only worker 0, so worker 1 runs one of B's units (each takes tens of
    // ms, and the calling thread takes one first) with the parameter block the pool wrote
    // for it for B, not A's. On a loaded machine worker 1 may still come too late: then
    // the pair of calls is tried again, up to 5 times.
    const core = new URL("../dist/pool-worker-core.js", import.meta.url).href;
    const ran = new Int32Array(new SharedArrayBuffer(8)); // units each worker ran
    const script = `
      const { parentPort, workerData: K } = require("node:worker_threads");
      parentPort.once("message", (m) => {
        const k = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
        const ran = new Int32Array(K.ran);
        const counted = { attentionFlash: (...a) => { Atomics.add(ran, m.index, 1); k.attentionFlash(...a); },
                          attentionDecode: (...a) => { Atomics.add(ran, m.index, 1); k.attentionDecode(...a); } };
        const ctl = new Int32Array(m.memory.buffer), c = m.control >> 2, bell = c + K.CTL_WORKERS + 2 * m.index;
        const sleep = new Int32Array(new SharedArrayBuffer(4));
        import(${JSON.stringify(core)}).then(({ runUnits }) => {
          parentPort.postMessage({ type: "ready" });
          for (let rung = 0; ;) {
            Atomics.wait(ctl, bell, rung);
            const now = Atomics.load(ctl, bell);
            if (now === rung) continue;
            rung = now;
            if (Atomics.load(ctl, c + K.CTL_STOP) !== 0) return;
            if (m.index === 0) Atomics.wait(sleep, 0, 0, 2000);
            else {
              const t = Date.now();
              while (!(Atomics.load(ctl, c + K.CTL_GATE) >= 0 && Atomics.load(ctl, c + K.CTL_COUNT) === 2)) {
                if (Atomics.load(ctl, c + K.CTL_STOP) !== 0 || Date.now() - t > 5000) break;
              }
            }
            if (Atomics.load(ctl, c + K.CTL_STOP) !== 0) return;
            if (Atomics.add(ctl, c + K.CTL_GATE, 1) < 0) continue;
            const i32 = new Int32Array(m.memory.buffer);
            runUnits(counted, i32, i32[c + K.CTL_QUEUE], i32[c + K.CTL_COUNT], i32[c + K.CTL_DECODE] !== 0, i32[bell + 1], c + K.CTL_UNITS);
            Atomics.add(ctl, c + K.CTL_DONE, 1); Atomics.notify(ctl, c + K.CTL_DONE);
          }
        });
      });`;
    const p = await createPoolWith(hostWith(script, { ran: ran.buffer }), { threads: 3, useCallingThread: true });
    try {
      const a = makeInputs({ name: "A", B: 1, Hq: 4, Hkv: 4, Lq: 64, Lkv: 64, Dk: 8, Dv: 8, layout: "4d" });
      const b = makeInputs({ name: "B", B: 1, Hq: 1, Hkv: 1, Lq: 64, Lkv: 1 << 19, Dk: 8, Dv: 8, layout: "4d" });
      const wantA = attention(a.q, a.k, a.v).data, wantB = attention(b.q, b.k, b.v).data;
      for (let attempt = 0; attempt < 5 && ran[1] === 0; attempt++) {
        const gotA = p.attention(a.q, a.k, a.v), gotB = p.attention(b.q, b.k, b.v);
        expect(same((await gotA).data, wantA)).toBe(true);
        expect(same((await gotB).data, wantB)).toBe(true);
      }
      expect(ran[1], "worker 1 ran a unit of call B").toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });

  test("a worker that cannot start: createAttentionPool rejects with its error", async () => {
    await expect(createPoolWith(hostWith(`throw new Error("no wasm here")`), { threads: 2 })).rejects.toThrow(/createAttentionPool: a worker failed: no wasm here/);
  });

  test("a worker that dies during a call: that call and later ones reject", async () => {
    // Workers only (a calling thread taking units would finish the call without them):
    // each dies once rung, its units never run.
    const p = await createPoolWith(hostWith(ringScript(`throw new Error("killed mid-call");`)), { threads: 2, useCallingThread: false });
    const x = makeInputs(sizeCases[3]!);
    await expect(p.attention(x.q, x.k, x.v)).rejects.toThrow(/pool.attention: a worker failed: killed mid-call/);
    await expect(p.attention(x.q, x.k, x.v)).rejects.toThrow(/pool.attention: a worker failed: killed mid-call/);
    await p.close();
  });

  // The calling thread computes every unit the worker does not take, and waits only for a
  // worker that entered the call.
  test.each([
    ["enters each call and takes no units", `
      for (let rings = 1; ; rings++) {
        if (Atomics.add(ctl, c + K.CTL_GATE, 1) >= 0) { Atomics.add(ctl, c + K.CTL_DONE, 1); Atomics.notify(ctl, c + K.CTL_DONE); }
        Atomics.wait(ctl, bell, rings);
      }`],
    // Rung, never wakes (a core that stays asleep): the calls must not wait for it.
    ["never wakes", `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`],
  ])("a worker that %s: the calling thread computes the whole call", async (_, body) => {
    const script = body.includes("K.CTL_GATE") ? ringScript(body) : `
      const { parentPort } = require("node:worker_threads");
      parentPort.once("message", () => { parentPort.postMessage({ type: "ready" }); ${body} });`;
    const p = await createPoolWith(hostWith(script), { threads: 2, useCallingThread: true });
    try {
      for (const c of sizeCases.slice(0, 6)) {
        const x = makeInputs(c);
        expect(same((await p.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data), c.name).toBe(true);
      }
    } finally {
      await p.close();
    }
  });

  test("units that throw: each call rejects with the worker's message (none hangs)", async () => {
    // The real runUnits (dist/) over kernels that throw, in the real worker's steps: enter
    // the call, run units (each throws, each counts), post the error, count failed and done.
    // Workers only, so that every unit meets a throwing kernel.
    const core = new URL("../dist/pool-worker-core.js", import.meta.url).href;
    const p = await createPoolWith(hostWith(ringScript(`
      import(${JSON.stringify(core)}).then(({ runUnits }) => {
        const k = { attentionFlash() { throw new Error("unit threw"); }, attentionDecode() { throw new Error("unit threw"); } };
        for (let rings = 1; ; rings++) {
          if (Atomics.add(ctl, c + K.CTL_GATE, 1) >= 0) {
            const i32 = new Int32Array(m.memory.buffer); // as it is for this call (it may have grown)
            const failed = runUnits(k, i32, i32[c + K.CTL_QUEUE], i32[c + K.CTL_COUNT], false, 0, c + K.CTL_UNITS);
            if (failed) { parentPort.postMessage({ type: "error", call: true, message: failed.error.message }); Atomics.add(ctl, c + K.CTL_FAILED, 1); }
            Atomics.add(ctl, c + K.CTL_DONE, 1); Atomics.notify(ctl, c + K.CTL_DONE);
          }
          Atomics.wait(ctl, bell, rings);
        }
      });`)), { threads: 2, useCallingThread: false });
    try {
      const x = makeInputs(sizeCases[3]!);
      await expect(p.attention(x.q, x.k, x.v)).rejects.toThrow(/pool.attention: a worker failed: unit threw/);
      await expect(p.attention(x.q, x.k, x.v)).rejects.toThrow(/pool.attention: a worker failed: unit threw/);
    } finally {
      await p.close();
    }
  });
});

// The work list of a call: every (head, row) exactly once, in head order, one query block
// of one head per unit (a whole head when decoding).
describe("units(): the pool's work list", () => {
  const check = (c: AttentionCase) => {
    const x = makeInputs(c);
    const plan = planAttention("units", x.q, x.k, x.v, x.options);
    const decode = plan.Lq <= tuning.decodeMaxRows;
    const u = units(plan, decode);
    let bh = 0, next = 0;
    for (let i = 0; i < u.length; i += 3) {
      const [h, q0, q1] = [u[i]!, u[i + 1]!, u[i + 2]!];
      if (next === plan.Lq) { bh++; next = 0; }
      expect([h, q0], `${c.name}: unit ${i / 3}`).toEqual([bh, next]);
      expect(q1).toBe(decode ? plan.Lq : Math.min(plan.Lq, q0 + tuning.blockQ));
      next = q1;
    }
    expect([bh, next]).toEqual(plan.Lq === 0 ? [0, 0] : [plan.B * plan.Hq - 1, plan.Lq]);
  };
  test.each([...benchCases.filter((c) => c.Lq * c.Lkv <= 4096 * 4096), ...randomCases(40, 5)].map((c) => [c.name, c] as const))("%s", (_, c) => check(c));
});
