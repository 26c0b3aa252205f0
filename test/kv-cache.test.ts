// KVCache's own contract: capacity, truncate, reset, dispose, memory reuse, builds.
import { beforeAll, describe, expect, test } from "vitest";
import { KVCache, attention, init } from "../src/index.js";
import { current } from "../src/state.js";
import type { WasmEngine } from "../src/abi.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { Rng } from "./util/rng.js";

const D = 8, H = 2;
const kv = (rng: Rng, n: number) => ({
  k: { data: rng.uniform(H * n * D, -1, 1), dims: [1, H, n, D] },
  v: { data: rng.uniform(H * n * D, -1, 1), dims: [1, H, n, D] },
});
const q = (rng: Rng) => ({ data: rng.uniform(H * D, -1, 1), dims: [1, H, 1, D] });

for (const build of runnableBuilds()) {
  describe(`KVCache (${build})`, () => {
    beforeAll(() => useBuild(build));

    test("append past capacity is a RangeError and changes nothing", () => {
      const rng = new Rng(1);
      const c = new KVCache({ numKvHeads: H, headDim: D, capacity: 10 });
      const a = kv(rng, 7), b = kv(rng, 4), query = q(rng);
      c.append(a.k, a.v);
      const before = Array.from(c.attention(query).data);
      expect(() => c.append(b.k, b.v)).toThrow(RangeError);
      expect(() => c.append(b.k, b.v)).toThrow(/capacity 10/);
      expect(c.length).toBe(7);
      expect(Array.from(c.attention(query).data)).toEqual(before);
      c.append(kv(rng, 3).k, kv(rng, 3).v); // exactly to capacity is fine
      expect(c.length).toBe(10);
      c.dispose();
    });

    test("truncate keeps the most recent entries; truncate(n ≥ length) and reset", () => {
      const rng = new Rng(2);
      const c = new KVCache({ numKvHeads: H, headDim: D, capacity: 20 });
      const a = kv(rng, 12), query = q(rng);
      c.append(a.k, a.v);
      const full = Array.from(c.attention(query).data);
      c.truncate(12);
      c.truncate(50);
      expect(c.length).toBe(12);
      expect(Array.from(c.attention(query).data)).toEqual(full);
      c.truncate(5);
      expect(c.length).toBe(5);
      // equals attention over the last 5 entries of each head
      const last = (t: { data: Float32Array }) => {
        const out = new Float32Array(H * 5 * D);
        for (let h = 0; h < H; h++) out.set(t.data.subarray((h * 12 + 7) * D, (h * 12 + 12) * D), h * 5 * D);
        return { data: out, dims: [1, H, 5, D] };
      };
      expect(Array.from(c.attention(query).data)).toEqual(Array.from(attention(query, last(a.k), last(a.v)).data));
      c.reset();
      expect(c.length).toBe(0);
      expect(Array.from(c.attention(query).data)).toEqual(new Array(H * D).fill(0)); // no keys: fully masked rows
      c.dispose();
    });

    test("dispose frees the memory for reuse, and any later use is an Error", () => {
      const c = new KVCache({ numKvHeads: H, headDim: D, capacity: 1000 });
      c.dispose();
      c.dispose(); // idempotent
      expect(() => c.append(kv(new Rng(3), 1).k, kv(new Rng(3), 1).v)).toThrow(/disposed/);
      expect(() => c.attention(q(new Rng(3)))).toThrow(/disposed/);
      expect(() => c.truncate(0)).toThrow(/disposed/);
      if (current!.engine) {
        const e = current!.engine as WasmEngine;
        const bytes = e.memoryBytes;
        for (let i = 0; i < 200; i++) new KVCache({ numKvHeads: H, headDim: D, capacity: 1000 }).dispose();
        expect(e.memoryBytes).toBe(bytes); // the same blocks are reused
      }
    });

    test("bad arguments name themselves", () => {
      expect(() => new KVCache({ numKvHeads: 0, headDim: D, capacity: 4 })).toThrow(/numKvHeads/);
      expect(() => new KVCache({ numKvHeads: H, headDim: D, capacity: 4, capcity: 3 } as never)).toThrow(/capcity.*capacity/);
      const c = new KVCache({ numKvHeads: H, headDim: D, capacity: 4 });
      expect(() => c.append({ data: new Float32Array(3 * D), dims: [1, 3, 1, D] }, { data: new Float32Array(3 * D), dims: [1, 3, 1, D] })).toThrow(/k must be \[1, 2, n, 8\]/);
      expect(() => c.attention({ data: new Float32Array(3 * D), dims: [1, 3, 1, D] })).toThrow(/multiple of the cache's kv heads 2/);
      expect(() => c.truncate(-1)).toThrow(RangeError);
      c.dispose();
    });
  });
}

test("a cache keeps running on the build it was created on after init() switches", async () => {
  await init(undefined, { build: "simd" });
  const rng = new Rng(9);
  const c = new KVCache({ numKvHeads: H, headDim: D, capacity: 8 });
  const a = kv(rng, 6), query = q(rng);
  c.append(a.k, a.v);
  const before = Array.from(c.attention(query).data);
  await init(undefined, { build: "scalar" });
  expect(Array.from(c.attention(query).data)).toEqual(before);
  c.dispose();
});
