// The published package in the real workerd (npm `workerd`, driven by miniflare). The
// Worker (test/fixtures/worker/worker.js) is bundled the way wrangler bundles one:
// esbuild with the conditions ["workerd", "worker", "browser"], and every imported .wasm
// left as a separate CompiledWasm module (wrangler's default rule for *.wasm). So
// "wasm-attention" resolves through its "workerd" export condition, and init() runs
// where WebAssembly cannot be compiled from bytes.
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectRight } from "./expect-right.js";

const app = inject("appDir");
const out = join(app, "worker-out");

/** As wrangler does: each .wasm import becomes an external module beside the bundle. */
const wasmModules: esbuild.Plugin = {
  name: "wasm-modules",
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, async (args) => {
      if (args.pluginData === "wasm-modules") return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "wasm-modules" });
      if (r.errors.length) return { errors: r.errors };
      mkdirSync(out, { recursive: true });
      copyFileSync(r.path, join(out, basename(r.path)));
      return { path: `./${basename(r.path)}`, external: true };
    });
  },
};

let mf: Miniflare;
let metafile: esbuild.Metafile;

beforeAll(async () => {
  const result = await esbuild.build({
    entryPoints: [join(app, "worker", "worker.js")],
    bundle: true, format: "esm", platform: "browser", target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    outfile: join(out, "worker.js"), metafile: true, logLevel: "silent",
    plugins: [wasmModules],
  });
  metafile = result.metafile;
  mf = new Miniflare({
    modules: true,
    scriptPath: join(out, "worker.js"),
    modulesRoot: out,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
  });
  await mf.ready;
});

afterAll(async () => { await mf?.dispose(); });

describe("Cloudflare workerd", () => {
  test("the bundle took the workerd entry, and the .wasm stayed modules", () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((p) => p.endsWith("node_modules/wasm-attention/dist/workerd.js"))).toBe(true);
    expect(inputs.some((p) => /dist\/(web|index|core)\.js$/.test(p))).toBe(false);
    const imports = metafile.outputs[Object.keys(metafile.outputs)[0]!]!.imports;
    const external = [...new Set(imports.filter((i) => i.external).map((i) => i.path))].sort();
    expect(external).toEqual(["./relaxed-simd.wasm", "./scalar.wasm", "./simd.wasm"]);
  });

  test("init() and attention() in a Worker: relaxed-simd, right against the reference", async () => {
    const res = await mf.dispatchFetch("http://localhost/");
    expect(res.status).toBe(200);
    const r = await res.json() as { build: string; dims: number[]; ok: boolean; maxDiff: number; data: number[] };
    expect(r.build).toBe("relaxed-simd");
    expectRight(r);
  });

  test("initSync(import of wasm-attention/build/simd.wasm)", async () => {
    const r = await (await mf.dispatchFetch("http://localhost/sync")).json() as { build: string; dims: number[]; ok: boolean; maxDiff: number; data: number[] };
    expect(r.build).toBe("simd");
    expectRight(r);
  });

  test("createAttentionPool in a Worker: says once that there are no threads, runs on the calling thread, same results", async () => {
    const res = await mf.dispatchFetch("http://localhost/pool");
    expect(res.status).toBe(200);
    const r = await res.json() as { threads: number; warnings: string[]; same: boolean; build: string; dims: number[]; ok: boolean; maxDiff: number; data: number[] };
    expect(r.threads).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/createAttentionPool: Cloudflare Workers \(workerd\) start no worker threads.*single-threaded on the calling thread/);
    expect(r.same).toBe(true);
    expectRight(r);
  });

  test("bytes cannot be compiled in workerd: init() says what to pass instead", async () => {
    const res = await mf.dispatchFetch("http://localhost/bytes");
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/workerd compiles no WebAssembly from bytes: pass a WebAssembly.Module/);
  });
});
