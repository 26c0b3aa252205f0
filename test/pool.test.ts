// createAttentionPool on Node worker_threads: every case of the shared list through a
// 2-thread pool equals attention() on the simd build bit for bit (same kernels, same
// query blocks, each row computed by exactly one worker), and so meets the same
// reference bounds; plus queueing, bad input, close, and the single-thread fallback.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { attention, createAttentionPool, init } from "../src/index.js";
import { createPoolWith, type AttentionPool } from "../src/pool.js";
import { makeInputs, randomCases, sizeCases } from "./cases.js";

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe("attention pool (Node worker_threads, simd-threads build)", () => {
  let pool: AttentionPool;
  beforeAll(async () => {
    await init(undefined, { build: "simd" });
    pool = await createAttentionPool({ threads: 2 });
  });
  afterAll(() => pool.close());

  test("runs on 2 threads", () => expect(pool.threads).toBe(2));

  const cases = [...sizeCases, ...randomCases(60, 11)];
  test.each(cases.map((c) => [c.name, c] as const))("%s: same as attention()", async (_, c) => {
    const x = makeInputs(c);
    const want = attention(x.q, x.k, x.v, { ...x.options, out: undefined });
    const got = await pool.attention(x.q, x.k, x.v, x.options);
    expect(got.dims).toEqual(want.dims);
    expect(same(got.data, want.data), `${c.name}: output differs`).toBe(true);
    if (c.returnLse) expect(same(got.lse!.data, want.lse!.data)).toBe(true);
    if (c.returnWeights) expect(same(got.weights!.data, want.weights!.data)).toBe(true);
    if (c.out) expect(got.data.buffer).toBe(x.options.out!.buffer);
  });

  test("concurrent calls queue and each gets its own answer", async () => {
    const xs = sizeCases.slice(0, 6).map((c) => makeInputs(c));
    const got = await Promise.all(xs.map((x) => pool.attention(x.q, x.k, x.v, x.options)));
    xs.forEach((x, i) => expect(same(got[i]!.data, attention(x.q, x.k, x.v, { ...x.options, out: undefined }).data)).toBe(true));
  });

  test("bad input rejects with the same error attention() throws, and the pool keeps working", async () => {
    const x = makeInputs(sizeCases[0]!);
    await expect(pool.attention(x.q, x.k, x.v, { casual: true } as never)).rejects.toThrow(/unknown option 'casual'.*'causal'/);
    await expect(pool.attention(x.q, { data: new Float64Array(4), dims: [4] } as never, x.v)).rejects.toThrow(TypeError);
    expect(same((await pool.attention(x.q, x.k, x.v)).data, attention(x.q, x.k, x.v).data)).toBe(true);
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
    expect(a.threads).toBe(0);
    const x = makeInputs(sizeCases[3]!);
    expect(same((await b.attention(x.q, x.k, x.v, x.options)).data, attention(x.q, x.k, x.v, x.options).data)).toBe(true);
  });
});
