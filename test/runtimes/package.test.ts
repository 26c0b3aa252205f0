// The package as `npm pack` makes it: which files ship, which entry each runtime's
// export condition picks, that the browser, workerd and core entries keep to what those
// runtimes allow (no top-level await, no node: imports, no eval, no dynamic import();
// core does no I/O), and the size and imports of every .wasm.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { describe, expect, inject, test } from "vitest";
import { problem } from "../fixtures/shared/check.js";
import { sizes, wasmImports } from "./wasm-info.js";

const app = inject("appDir");
const files = inject("packedFiles");
const pkg = join(app, "node_modules", "wasm-attention");
const README = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** 24 KiB: the most a build may weigh (DESIGN: small enough to inline or fetch eagerly). */
const MAX_RAW = 24 * 1024;
const BUILDS = ["relaxed-simd", "simd", "scalar"];

describe("files", () => {
  test("the tarball holds the entries, their types, the .wasm builds, and nothing from the repo's workbench", () => {
    for (const f of ["package.json", "README.md", ...["index", "web", "workerd", "core"].flatMap((e) => [`dist/${e}.js`, `dist/${e}.d.ts`]), ...BUILDS.map((b) => `build/${b}.wasm`)]) {
      expect(files, f).toContain(f);
    }
    for (const f of files) {
      expect(f).toMatch(/^(package\.json|README\.md|LICENSE|dist\/[\w-]+\.(js|d\.ts|js\.map)|build\/[\w-]+\.wasm|src\/[\w.-]+\.ts)$/);
    }
  });
});

async function entryFor(spec: string, options: esbuild.BuildOptions): Promise<string[]> {
  const r = await esbuild.build({
    stdin: { contents: `export * from ${JSON.stringify(spec)};`, resolveDir: app, loader: "js" },
    bundle: true, write: false, metafile: true, format: "esm", logLevel: "silent",
    external: ["*.wasm", "node:*"], ...options,
  });
  return Object.keys(r.metafile!.inputs).filter((p) => p.includes("wasm-attention/dist/")).map((p) => p.replace(/.*wasm-attention\//, ""));
}

describe("export conditions", () => {
  test("node (Node, Deno, Bun): dist/index.js", async () => {
    expect(await entryFor("wasm-attention", { platform: "node" })).toContain("dist/index.js");
    // Node's own resolver, from the app.
    const resolved = import.meta.resolve("wasm-attention", pathToFileURL(join(app, "x.js")).href);
    expect(resolved).toMatch(/node_modules\/wasm-attention\/dist\/index\.js$/);
  });

  test("browser (Vite, webpack, esbuild, Parcel): dist/web.js", async () => {
    const inputs = await entryFor("wasm-attention", { platform: "browser" });
    expect(inputs).toContain("dist/web.js");
    expect(inputs).not.toContain("dist/index.js");
  });

  test("default (no known condition): dist/web.js", async () => {
    expect(await entryFor("wasm-attention", { platform: "neutral", mainFields: [] })).toContain("dist/web.js");
  });

  test("workerd (wrangler's conditions): dist/workerd.js", async () => {
    const inputs = await entryFor("wasm-attention", { platform: "browser", conditions: ["workerd", "worker", "browser"] });
    expect(inputs).toContain("dist/workerd.js");
    expect(inputs).not.toContain("dist/web.js");
  });

  test("./core: dist/core.js under every condition", async () => {
    for (const platform of ["node", "browser", "neutral"] as const) {
      expect(await entryFor("wasm-attention/core", { platform })).toContain("dist/core.js");
    }
  });

  test("the .wasm files are exported (wasm-attention/build/simd.wasm)", () => {
    const resolved = import.meta.resolve("wasm-attention/build/simd.wasm", pathToFileURL(join(app, "x.js")).href);
    expect(resolved).toMatch(/node_modules\/wasm-attention\/build\/simd\.wasm$/);
  });
});

describe("the browser, workerd and core entries keep to what their runtimes allow", () => {
  for (const entry of ["web", "workerd", "core"]) {
    test(`dist/${entry}.js and everything it imports: no top-level await, no node:, no eval, no dynamic import()`, async () => {
      // esbuild fails on a top-level await when told the target lacks it, and on a node:
      // import it cannot resolve on the neutral platform; the metafile lists every import.
      const r = await esbuild.build({
        entryPoints: [join(pkg, "dist", `${entry}.js`)], bundle: true, write: false, metafile: true,
        format: "esm", platform: "neutral", logLevel: "silent", external: ["*.wasm"],
        supported: { "top-level-await": false },
      });
      const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports);
      expect(imports.filter((i) => i.kind !== "import-statement").map((i) => `${i.kind} ${i.path}`)).toEqual([]);
      expect(imports.filter((i) => i.path.startsWith("node:"))).toEqual([]);
      const code = r.outputFiles[0]!.text;
      expect(code).not.toMatch(/\beval\s*\(|new\s+Function\s*\(|\bimport\s*\(/);
      if (entry === "core") {
        // No I/O at all: nothing that fetches, reads files or finds files by URL.
        expect(code).not.toMatch(/\bfetch\s*\(|readFile|XMLHttpRequest|import\.meta\.url/);
      }
    });
  }

  test("dist/web.js spells each .wasm URL out literally, so bundlers see and copy it", () => {
    const code = readFileSync(join(pkg, "dist", "web.js"), "utf8");
    for (const b of BUILDS) expect(code).toContain(`new URL("../build/${b}.wasm", import.meta.url)`);
  });

  test("dist/workerd.js imports each .wasm as a module", () => {
    const code = readFileSync(join(pkg, "dist", "workerd.js"), "utf8");
    for (const b of BUILDS) expect(code).toMatch(new RegExp(`^import \\w+ from "\\.\\./build/${b}\\.wasm";$`, "m"));
  });
});

describe("wasm-attention/core does no I/O", () => {
  test("init() without a source or with a URL is a TypeError; bytes and modules work", async () => {
    const core = await import(pathToFileURL(join(pkg, "dist", "core.js")).href) as typeof import("../../src/core.js");
    await expect(core.init()).rejects.toThrow(/does no I\/O/);
    await expect(core.init(new URL("https://example.invalid/simd.wasm"))).rejects.toThrow(/does no I\/O/);
    const bytes = readFileSync(join(pkg, "build", "simd.wasm"));
    expect((await core.init(bytes)).build).toBe("simd");
    const { q, k, v, options } = problem();
    const y = core.attention(q, k, v, options), ref = core.attentionReference(q, k, v, options);
    for (let i = 0; i < ref.data.length; i++) expect(Math.abs(y.data[i]! - ref.data[i]!)).toBeLessThan(1e-5);
    expect((await core.init(new Response(bytes), { build: "simd" })).build).toBe("simd");
    expect((await core.init(undefined, { build: "js" })).build).toBe("js");
  });
});

describe("the .wasm files", () => {
  const shipped = files.filter((f) => f.endsWith(".wasm"));

  test.each(shipped)(`%s is at most ${MAX_RAW} bytes (24 KiB)`, (f) => {
    const s = sizes(readFileSync(join(pkg, f)));
    console.log(`${f}: ${s.raw} B raw, ${s.gzip} B gzipped`);
    expect(s.raw).toBeLessThanOrEqual(MAX_RAW);
  });

  test.each(BUILDS)("build/%s.wasm imports nothing", (b) => {
    expect(wasmImports(readFileSync(join(pkg, "build", `${b}.wasm`)))).toEqual([]);
  });

  // A threads build shares one memory between the workers of a pool, so that memory is
  // necessarily imported; it must be the only import.
  test.each(shipped.filter((f) => !BUILDS.some((b) => f === `build/${b}.wasm`)))("%s imports nothing but its shared memory", (f) => {
    const imports = wasmImports(readFileSync(join(pkg, f)));
    expect(imports.filter((i) => i.kind !== 2)).toEqual([]);
    expect(imports.length).toBeLessThanOrEqual(1);
  });

  test("the README's size table is current (within 10%)", () => {
    const table = shipped.map((f) => {
      const s = sizes(readFileSync(join(pkg, f)));
      return `| \`${f.replace("build/", "")}\` | ${s.raw.toLocaleString("en-US")} B | ${s.gzip.toLocaleString("en-US")} B |`;
    });
    for (const f of shipped) {
      const name = f.replace("build/", "");
      const row = README.match(new RegExp(`^\\| \`${name.replace(".", "\\.")}\` \\| ([\\d,]+) B \\| ([\\d,]+) B \\|`, "m"));
      const s = sizes(readFileSync(join(pkg, f)));
      const hint = `README.md's size table is out of date; the current rows:\n${table.join("\n")}`;
      expect(row, hint).not.toBeNull();
      const [raw, gzip] = [Number(row![1]!.replace(/,/g, "")), Number(row![2]!.replace(/,/g, ""))];
      expect(Math.abs(raw - s.raw) / s.raw, hint).toBeLessThanOrEqual(0.1);
      expect(Math.abs(gzip - s.gzip) / s.gzip, hint).toBeLessThanOrEqual(0.1);
    }
  });
});
