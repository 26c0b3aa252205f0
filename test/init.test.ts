// init() / initSync(): build choice, switching, idempotence, every kind of source.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { init, initSync, attention, attentionReference } from "../src/index.js";
import { makeInputs, type AttentionCase } from "./cases.js";
import { compare } from "./util/compare.js";

const wasmUrl = (b: string) => new URL(`../build/${b}.wasm`, import.meta.url);
const c: AttentionCase = { name: "init-check", B: 1, Hq: 2, Hkv: 1, Lq: 10, Lkv: 12, Dk: 8, Dv: 8, layout: "4d", causal: true };

function works(): void {
  const x = makeInputs(c);
  expect(compare(attention(x.q, x.k, x.v, x.options).data, attentionReference(x.q, x.k, x.v, x.options).data, 1e-6)).toBeNull();
}

describe("init", () => {
  test("picks the best build this engine validates, and is idempotent", async () => {
    const relaxed = WebAssembly.validate(readFileSync(wasmUrl("relaxed-simd")));
    const r = await init();
    expect(r.build).toBe(relaxed ? "relaxed-simd" : "simd");
    expect(r.simd).toBe(true);
    expect(r.relaxedSimd).toBe(relaxed);
    expect(await init()).toEqual(r);
    works();
  });

  test("options.build switches, and init() without options keeps the current build", async () => {
    for (const b of ["scalar", "js", "simd"] as const) {
      expect((await init(undefined, { build: b })).build).toBe(b);
      expect((await init()).build).toBe(b);
      works();
    }
  });

  test("concurrent calls settle in order", async () => {
    const [a, b, c2] = await Promise.all([init(undefined, { build: "scalar" }), init(), init(undefined, { build: "simd" })]);
    expect([a.build, b.build, c2.build]).toEqual(["scalar", "scalar", "simd"]);
  });

  test("sources: Module, bytes (ArrayBuffer and view), file URL, Response, promise of one", async () => {
    const bytes = readFileSync(wasmUrl("scalar"));
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const sources: unknown[] = [
      new WebAssembly.Module(bytes), bytes, ab, wasmUrl("scalar"), new Response(bytes), Promise.resolve(new Response(bytes)),
    ];
    for (const s of sources) {
      await init(undefined, { build: "simd" });
      expect((await init(s as never)).build).toBe("scalar");
      works();
    }
  });

  test("a module of one build with options.build naming another is rejected clearly", async () => {
    const m = new WebAssembly.Module(readFileSync(wasmUrl("scalar")));
    await expect(init(m, { build: "simd" })).rejects.toThrow(/'scalar' build.*'simd'/);
    expect(() => initSync(m, { build: "simd" })).toThrow(/'scalar' build.*'simd'/);
  });

  test("a failed fetch or foreign bytes are rejected clearly", async () => {
    await expect(init(new Response("nope", { status: 404, statusText: "Not Found" }))).rejects.toThrow(/HTTP 404/);
    await expect(init(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 9]))).rejects.toThrow(/do not compile/);
    await expect(init("build/simd.wasm" as never)).rejects.toThrow(TypeError);
  });

  test("initSync with a module or bytes", () => {
    expect(initSync(new WebAssembly.Module(readFileSync(wasmUrl("simd")))).build).toBe("simd");
    works();
    expect(initSync(readFileSync(wasmUrl("scalar"))).build).toBe("scalar");
    works();
    expect(initSync(readFileSync(wasmUrl("simd")), { build: "js" }).build).toBe("js");
    works();
  });
});

describe("the .wasm files", () => {
  test.each(["relaxed-simd", "simd", "scalar"])("%s imports nothing (instantiates anywhere with {})", (b) => {
    const bytes = readFileSync(wasmUrl(b));
    // WebAssembly.Module.imports needs a compiled module; relaxed-simd may not compile
    // here, so read the import section (id 2) from the bytes instead.
    let i = 8;
    const sections: number[] = [];
    while (i < bytes.length) {
      const id = bytes[i++]!;
      let size = 0, shift = 0, byte: number;
      do { byte = bytes[i++]!; size |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
      sections.push(id);
      i += size;
    }
    expect(sections).not.toContain(2);
    expect(sections).toContain(7); // it does export (memory and the kernels)
  });
});
