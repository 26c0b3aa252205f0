// The arena: one region of linear memory reused by every call, grown only when a call
// needs more, with views re-created after growth.
import { beforeAll, describe, expect, test } from "vitest";
import { attention, attentionReference } from "../src/index.js";
import { current } from "../src/state.js";
import { makeInputs, type AttentionCase } from "./cases.js";
import { useBuild } from "./util/builds.js";
import { compare } from "./util/compare.js";

const memoryBytes = () => current!.engine!.exports.memory.buffer.byteLength;

describe("arena", () => {
  beforeAll(() => useBuild("simd"));

  test("10,000 calls in a row grow neither the wasm memory nor the process", async () => {
    const c: AttentionCase = { name: "mem-loop", B: 1, Hq: 4, Hkv: 4, Lq: 16, Lkv: 64, Dk: 32, Dv: 32, layout: "4d", causal: true, returnLse: true };
    const x = makeInputs(c);
    const first = attention(x.q, x.k, x.v, x.options);
    const wasmBefore = memoryBytes();
    // Warm-up: the first few thousand calls also pay for V8's tiers of compiled code and
    // for sizing its heap; the claim is about the steady state after them.
    for (let i = 0; i < 3_000; i++) attention(x.q, x.k, x.v, x.options);
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "run with node --expose-gc (vitest.config.ts sets it)").toBeTypeOf("function");
    // V8 frees dead ArrayBuffers' memory on a sweeper thread after the collection, so a
    // reading right after gc() can still count some of them (seen as +5 to +17 MiB when
    // the other test files kept both cores busy). Collect and yield until two readings agree.
    const settled = async () => {
      let prev = -1;
      for (let i = 0; i < 20; i++) {
        gc!();
        await new Promise((r) => setTimeout(r, 20));
        const now = process.memoryUsage();
        if (now.arrayBuffers === prev) return now;
        prev = now.arrayBuffers;
      }
      return process.memoryUsage();
    };
    const before = await settled();
    let last = first;
    for (let i = 0; i < 10_000; i++) last = attention(x.q, x.k, x.v, x.options);
    const after = await settled();
    expect(memoryBytes()).toBe(wasmBefore);
    // Each call hands the caller an 8 KiB output and a 256-byte lse: 10,000 of them are
    // 82 MiB if anything held on to them. Measured after a full collection: the buffers
    // that are still alive (arrayBuffers) and the JS heap stay flat (well under 1 MiB
    // here); the process's resident size also moves with the allocator and the test
    // runner, so it only gets a bound a leak of those outputs would still break.
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    const growth = `arrayBuffers +${mib(after.arrayBuffers - before.arrayBuffers)} MiB, heap +${mib(after.heapUsed - before.heapUsed)} MiB, rss +${mib(after.rss - before.rss)} MiB`;
    expect(after.arrayBuffers - before.arrayBuffers, growth).toBeLessThan(4 * 2 ** 20);
    expect(after.heapUsed - before.heapUsed, growth).toBeLessThan(8 * 2 ** 20);
    expect(after.rss - before.rss, growth).toBeLessThan(48 * 2 ** 20);
    expect(Array.from(last.data)).toEqual(Array.from(first.data));
  });

  test("growth re-creates the views: small, large (grows), small again are all right", () => {
    const small: AttentionCase = { name: "grow-small", B: 1, Hq: 2, Hkv: 2, Lq: 9, Lkv: 9, Dk: 8, Dv: 8, layout: "4d" };
    const large: AttentionCase = { name: "grow-large", B: 1, Hq: 4, Hkv: 4, Lq: 256, Lkv: 2048, Dk: 64, Dv: 64, layout: "4d" };
    const check = (c: AttentionCase) => {
      const x = makeInputs(c);
      const got = attention(x.q, x.k, x.v, x.options);
      const ref = attentionReference(x.q, x.k, x.v, x.options);
      expect(compare(got.data, ref.data, 1e-5)).toBeNull();
    };
    check(small);
    const before = memoryBytes();
    check(large);
    const grown = memoryBytes();
    expect(grown).toBeGreaterThan(before);
    check(small);
    check(large);
    expect(memoryBytes()).toBe(grown); // reused, not grown again
  });
});
