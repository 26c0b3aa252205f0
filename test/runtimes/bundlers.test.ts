// Two tiny apps built from the published package with the bundlers' own command lines,
// then loaded in real headless Chromium (playwright driving Debian's chromium):
// - Vite (`vite build`, and the `vite` dev server): nothing to configure; it copies the
//   three .wasm files it finds behind the browser entry's
//   new URL("../build/….wasm", import.meta.url), and the worker pool's Web Worker and
//   simd-threads.wasm, which the pool runs in a page served with COOP/COEP;
// - esbuild (`esbuild main.js --bundle --format=esm --outdir=www --loader:.wasm=file`):
//   esbuild does not copy those, so the app imports the .wasm with the file loader and
//   passes its URL to init(), exactly as the README says.
// Both are served with a Content-Security-Policy that allows WebAssembly but not eval
// (`script-src 'self' 'wasm-unsafe-eval'`); without 'wasm-unsafe-eval', init() fails
// with Chromium's CSP error, which is what the README warns about.
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright";
import { createServer, createLogger } from "vite";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { expectRight } from "./expect-right.js";
import { BROWSER_SKIPPED, browserAvailable, chromiumLaunchOptions } from "../util/chromium.js";
import { serve } from "./static-server.js";

const app = inject("appDir");
const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
const haveBrowser = browserAvailable();
if (!haveBrowser) console.warn(BROWSER_SKIPPED);

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const CSP_WITHOUT_WASM = "default-src 'self'; script-src 'self'";

interface PageResult {
  build?: string; dims?: number[]; ok?: boolean; maxDiff?: number; data?: number[]; error?: string;
  pool?: { threads: number; maxDiff: number; ok: boolean };
}
/** What a cross-origin-isolated page is served with, so that SharedArrayBuffer (and the pool's threads) exist. */
const ISOLATED = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

let browser: Browser;
beforeAll(async () => { if (haveBrowser) browser = await chromium.launch(chromiumLaunchOptions); });
afterAll(async () => { await browser?.close(); });

async function load(dir: string, csp: string, headers: Record<string, string> = {}): Promise<{ result: PageResult; pageErrors: string[] }> {
  const server = await serve(dir, { "content-security-policy": csp, ...headers });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 30_000 });
    const result = await page.evaluate(() => (window as unknown as { result: PageResult }).result);
    return { result, pageErrors };
  } finally {
    await page.close();
    await server.close();
  }
}

describe.skipIf(!haveBrowser)("bundled apps in Chromium", () => {
  describe("Vite", () => {
    const out = join(app, "vite-app", "dist");
    beforeAll(() => {
      execFileSync(bin("vite"), ["build", "--logLevel", "warn"], { cwd: join(app, "vite-app"), stdio: "pipe", timeout: 120_000 });
    });

    test("vite build copies the three .wasm files", () => {
      const assets = readdirSync(join(out, "assets"));
      for (const b of ["relaxed-simd", "simd", "scalar"]) expect(assets.some((f) => f.startsWith(`${b}-`) && f.endsWith(".wasm")), b).toBe(true);
    });

    test("the app gets the right answer on relaxed-simd, under a CSP with 'wasm-unsafe-eval' and no eval", async () => {
      const { result, pageErrors } = await load(out, CSP);
      expect(pageErrors).toEqual([]);
      expect(result.build).toBe("relaxed-simd");
      expectRight(result);
      expect(result.pool).toMatchObject({ threads: 0, ok: true }); // not isolated: the calling thread
    });

    test("vite build copies the pool's Web Worker and the simd-threads build", () => {
      const assets = readdirSync(join(out, "assets"));
      expect(assets.some((f) => f.startsWith("simd-threads-") && f.endsWith(".wasm"))).toBe(true);
      expect(assets.some((f) => f.startsWith("pool-worker-web") && f.endsWith(".js"))).toBe(true);
    });

    test("in a cross-origin-isolated page the pool runs 2 Web Workers from the bundle, right against the reference", async () => {
      const { result, pageErrors } = await load(out, CSP, ISOLATED);
      expect(pageErrors).toEqual([]);
      expectRight(result);
      expect(result.pool).toMatchObject({ threads: 2, ok: true });
    });

    test("without 'wasm-unsafe-eval' in the CSP, init() fails with Chromium's CSP error", async () => {
      const { result } = await load(out, CSP_WITHOUT_WASM);
      expect(result.error).toMatch(/Content Security Policy|unsafe-eval/);
    });

    test("the `vite` dev server, cross-origin isolated: the pool runs 2 Web Workers", async () => {
      const server = await createServer({
        root: join(app, "vite-app"), configFile: false, logLevel: "silent",
        server: { port: 0, host: "127.0.0.1", headers: ISOLATED },
      });
      await server.listen();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      try {
        await page.goto(server.resolvedUrls!.local[0]!);
        await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 30_000 });
        const result = await page.evaluate(() => (window as unknown as { result: PageResult }).result);
        expect(pageErrors).toEqual([]);
        expectRight(result);
        expect(result.pool).toMatchObject({ threads: 2, ok: true });
      } finally {
        await page.close();
        await server.close();
      }
    });

    test("the `vite` dev server serves the same app, without warnings, on relaxed-simd", async () => {
      const logger = createLogger("warn");
      const warnings: string[] = [];
      logger.warn = (m) => { warnings.push(m); };
      logger.error = (m) => { warnings.push(m); };
      const server = await createServer({ root: join(app, "vite-app"), configFile: false, customLogger: logger, server: { port: 0, host: "127.0.0.1" } });
      await server.listen();
      const page = await browser.newPage();
      try {
        await page.goto(server.resolvedUrls!.local[0]!);
        await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 30_000 });
        const result = await page.evaluate(() => (window as unknown as { result: PageResult }).result);
        expect(result.build).toBe("relaxed-simd");
        expectRight(result);
        expect(warnings).toEqual([]);
      } finally {
        await page.close();
        await server.close();
      }
    });
  });

  describe("esbuild", () => {
    const out = join(app, "esbuild-app", "www");
    beforeAll(() => {
      const dir = join(app, "esbuild-app");
      execFileSync(bin("esbuild"), ["main.js", "--bundle", "--format=esm", "--outdir=www", "--loader:.wasm=file", "--log-level=warning"], { cwd: dir, stdio: "pipe", timeout: 60_000 });
      copyFileSync(join(dir, "index.html"), join(out, "index.html"));
    });

    test("the file loader copied simd.wasm into the output folder", () => {
      expect(readdirSync(out).filter((f) => f.endsWith(".wasm"))).toEqual([expect.stringMatching(/^simd-[A-Z0-9]+\.wasm$/)]);
    });

    test("the app gets the right answer on the simd build, under a CSP with 'wasm-unsafe-eval' and no eval", async () => {
      const { result, pageErrors } = await load(out, CSP);
      expect(pageErrors).toEqual([]);
      expect(result.build).toBe("simd");
      expectRight(result);
    });
  });
});

test.runIf(!haveBrowser)(BROWSER_SKIPPED, () => { expect(haveBrowser).toBe(false); });
