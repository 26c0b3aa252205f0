// The published package under Node, Deno and Bun (npm `deno`, `bun`): the same script
// (test/fixtures/node-deno-bun/smoke.mjs) imports "wasm-attention" through its "node"
// export condition, runs attention() and compares with the float64 reference; the result
// is checked again here against the reference computed in this process. The same script
// runs a 2-thread createAttentionPool on a larger problem: its workers must start in each
// runtime and agree with the float64 reference.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, test } from "vitest";
import { expectRight } from "./expect-right.js";

const app = inject("appDir");
const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

interface Smoke {
  runtime: string; build: string; dims: number[]; maxDiff: number; ok: boolean; data: number[]; entry: string;
  pool: { threads: number; maxDiff: number; ok: boolean };
}

/** The pool ran on 2 worker threads and agreed with the reference. */
function expectPool(r: Smoke): void {
  expect(r.pool.threads).toBe(2);
  expect(r.pool.ok, `pool maxDiff ${r.pool.maxDiff}`).toBe(true);
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Smoke {
  const out = execFileSync(cmd, [...args, "smoke.mjs"], {
    cwd: join(app, "node-deno-bun"), encoding: "utf8", timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Smoke;
}

describe("the published package", () => {
  test("Node 20 (node condition): simd by default", () => {
    const r = run(process.execPath, []);
    expect(r).toMatchObject({ runtime: "node", build: "simd" });
    expect(r.entry).toMatch(/node_modules\/wasm-attention\/dist\/index\.js$/);
    expectRight(r);
    expectPool(r);
  });

  test("Node 20 with --experimental-wasm-relaxed-simd: relaxed-simd", () => {
    const r = run(process.execPath, ["--experimental-wasm-relaxed-simd"]);
    expect(r).toMatchObject({ runtime: "node", build: "relaxed-simd" });
    expectRight(r);
  });

  test("Deno (npm deno): node condition, relaxed-simd", () => {
    const r = run(bin("deno"), ["run", "--allow-read", "--no-lock", "--quiet"], { DENO_DIR: join(app, ".deno"), DENO_NO_UPDATE_CHECK: "1" });
    expect(r).toMatchObject({ runtime: "deno", build: "relaxed-simd" });
    expect(r.entry).toMatch(/node_modules\/wasm-attention\/dist\/index\.js$/);
    expectRight(r);
    expectPool(r);
  });

  test("Bun (npm bun, JavaScriptCore): node condition, relaxed-simd", () => {
    const r = run(bin("bun"), ["--no-install"]);
    expect(r).toMatchObject({ runtime: "bun", build: "relaxed-simd" });
    expect(r.entry).toMatch(/node_modules\/wasm-attention\/dist\/index\.js$/);
    expectRight(r);
    expectPool(r);
  });
});
