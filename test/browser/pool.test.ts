// The worker pool in Chromium. In the chromium-isolated project (served with COOP/COEP,
// vitest.config.ts) SharedArrayBuffer exists: the pool runs on 2 threads over one shared
// memory (2 Web Workers; then the page's thread and a Web Worker, with
// useCallingThread: true) and every case equals attention() on the simd build bit for
// bit. In the plain chromium project the page is not isolated: the pool says so once and runs on the
// calling thread, with the same results.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { attention, createAttentionPool, init, type AttentionPool } from "../../src/web.js";
import { setTuning, DEFAULT_TUNING } from "../../src/tuning.js";
import { makeInputs, suiteCases, tinyBlockCases, TINY_BLOCKS } from "../cases.js";

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

describe(isolated ? "pool in a cross-origin-isolated page: 2 Web Workers" : "pool in a page that is not cross-origin isolated: fallback", () => {
  let pool: AttentionPool;
  const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  beforeAll(async () => {
    await init(undefined, { build: "simd" });
    setTuning({ poolMinMacs: 0 }); // the cases are small: every call to the workers
    pool = await createAttentionPool({ threads: 2 });
    await createAttentionPool({ threads: 2 }).then((p) => p.close());
  });
  afterAll(() => { warn.mockRestore(); setTuning(DEFAULT_TUNING); return pool.close(); });

  test(isolated ? "threads run, no warning" : "says so once, clearly, and uses the calling thread", () => {
    if (isolated) {
      expect(typeof SharedArrayBuffer).toBe("function");
      expect([pool.threads, pool.workers]).toEqual([2, 2]);
      expect(warn).not.toHaveBeenCalled();
    } else {
      expect(pool.threads).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy.*single-threaded/);
    }
  });

  const right = async (c: (typeof suiteCases)[number]) => {
    const x = makeInputs(c);
    const want = attention(x.q, x.k, x.v, { ...x.options, out: undefined });
    const got = await pool.attention(x.q, x.k, x.v, x.options);
    expect(same(got.data, want.data), `${c.name}: output differs`).toBe(true);
    if (c.returnLse) expect(same(got.lse!.data, want.lse!.data)).toBe(true);
    if (c.returnWeights) expect(same(got.weights!.data, want.weights!.data)).toBe(true);
  };
  // attention()'s own suite (test/cases.ts), then its small cases with tiny blocks:
  // several units per head, V's check shared between them.
  test.each(suiteCases.map((c) => [c.name, c] as const))("%s: same as attention()", (_, c) => right(c));
  describe("with tiny blocks", () => {
    beforeAll(() => { setTuning(TINY_BLOCKS); });
    afterAll(() => { setTuning({ blockQ: DEFAULT_TUNING.blockQ, blockK: DEFAULT_TUNING.blockK, decodeMaxRows: DEFAULT_TUNING.decodeMaxRows }); });
    test.each(tinyBlockCases.map((c) => [c.name, c] as const))("%s: same as attention()", (_, c) => right(c));
  });
});

// Only where threads run (elsewhere this pool is the same fallback as above).
if (isolated) describe("pool in a cross-origin-isolated page, useCallingThread: true: the page's thread and a Web Worker", () => {
  let pool: AttentionPool;
  beforeAll(async () => {
    await init(undefined, { build: "simd" });
    setTuning({ poolMinMacs: 0 });
    pool = await createAttentionPool({ threads: 2, useCallingThread: true });
  });
  afterAll(() => { setTuning(DEFAULT_TUNING); return pool.close(); });

  test("1 worker", () => expect([pool.threads, pool.workers]).toEqual([2, 1]));
  test.each(suiteCases.map((c) => [c.name, c] as const))("%s: same as attention()", async (_, c) => {
    const x = makeInputs(c);
    const got = await pool.attention(x.q, x.k, x.v, x.options);
    expect(same(got.data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data), `${c.name}: output differs`).toBe(true);
  });
});
