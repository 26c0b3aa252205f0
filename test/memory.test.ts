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

  test("10,000 calls in a row grow neither the wasm memory nor the process", () => {
    const c: AttentionCase = { name: "mem-loop", B: 1, Hq: 4, Hkv: 4, Lq: 16, Lkv: 64, Dk: 32, Dv: 32, layout: "4d", causal: true, returnLse: true };
    const x = makeInputs(c);
    const first = attention(x.q, x.k, x.v, x.options);
    const wasmBefore = memoryBytes();
    // Warm-up: the first few thousand calls also pay for V8's tiers of compiled code and
    // for sizing its heap; the claim is about the steady state after them.
    for (let i = 0; i < 3_000; i++) attention(x.q, x.k, x.v, x.options);
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "run with node --expose-gc (vitest.config.ts sets it)").toBeTypeOf("function");
    gc!();
    const rssBefore = process.memoryUsage().rss;
    let last = first;
    for (let i = 0; i < 10_000; i++) last = attention(x.q, x.k, x.v, x.options);
    gc!();
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(memoryBytes()).toBe(wasmBefore);
    // Each call allocates its 8 KiB output and 256-byte lse for the caller: 10,000 of
    // them are 80 MiB if anything held on to them. Measured growth after a collection:
    // about 1 MiB; 16 MiB leaves room for the allocator's own slack.
    expect(rssGrowth).toBeLessThan(16 * 2 ** 20);
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
