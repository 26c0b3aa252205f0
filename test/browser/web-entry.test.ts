// The browser entry (src/web.ts) in real Chromium: init() without a source fetches the
// package's own .wasm from `new URL("../build/….wasm", import.meta.url)` and picks
// relaxed-simd (on by default in Chromium); the other sources load too.
import { describe, expect, test } from "vitest";
import { init, attention, attentionReference } from "../../src/web.js";
import * as asTheSharedTestsImportIt from "../../src/index.js";
import { makeInputs, type AttentionCase } from "../cases.js";
import { compare } from "../util/compare.js";

const c: AttentionCase = { name: "web-entry", B: 1, Hq: 4, Hkv: 2, Lq: 33, Lkv: 70, Dk: 64, Dv: 64, layout: "4d", causal: true };

function works(): void {
  const x = makeInputs(c);
  expect(compare(attention(x.q, x.k, x.v, x.options).data, attentionReference(x.q, x.k, x.v, x.options).data, 1e-5)).toBeNull();
}

describe("browser entry in Chromium", () => {
  test("we are in a browser, not Node", () => {
    expect(typeof (globalThis as { process?: unknown }).process).toBe("undefined");
    expect(navigator.userAgent).toMatch(/Chrome\//);
  });

  test("the shared tests' src/index.js is the browser entry here (vitest.config.ts alias)", () => {
    expect(asTheSharedTestsImportIt.init).toBe(init);
  });

  test("init() fetches the package's .wasm and picks relaxed-simd", async () => {
    const r = await init(undefined, { build: "js" }).then(() => init(undefined, { build: "relaxed-simd" })).then(() => init());
    expect(r).toEqual({ build: "relaxed-simd", simd: true, relaxedSimd: true });
    works();
  });

  test("every build loads through the entry's own URLs", async () => {
    for (const b of ["scalar", "simd", "relaxed-simd", "js"] as const) {
      expect((await init(undefined, { build: b })).build).toBe(b);
      works();
    }
  });

  test("sources: an http URL, a Response, bytes, a WebAssembly.Module", async () => {
    const url = new URL("../../build/scalar.wasm", import.meta.url);
    expect(url.protocol).toMatch(/^https?:$/);
    const bytes = await (await fetch(url)).arrayBuffer();
    for (const s of [url, fetch(url), bytes, new WebAssembly.Module(bytes)]) {
      await init(undefined, { build: "simd" });
      expect((await init(s)).build).toBe("scalar");
      works();
    }
  });

  test("a missing file is a clear error", async () => {
    await expect(init(new URL("../../build/nope.wasm", import.meta.url))).rejects.toThrow(/HTTP 404/);
  });
});
