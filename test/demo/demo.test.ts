// The demo page (demo/, `npm run demo`) in real headless Chromium, served by the Vite dev
// server with the demo's own config (what `npm run demo` runs), driven with playwright
// as the bundled-app tests do. It checks pixels and elements, not just that the page
// loaded: the heatmap canvas is read back with getImageData; toggling causal (with the
// keyboard) blanks exactly the upper triangle; padding hatches the padded key columns;
// the head thumbnails are reachable by Tab; one benchmark case runs to a GFLOP/s number
// in the table and a bar in the chart, and "Copy as markdown" copies the table. Any
// console error or page error fails it. A screenshot goes to test-output/demo.png.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { createLogger, createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIPPED, browserAvailable, chromiumLaunchOptions } from "../util/chromium.js";

const haveBrowser = browserAvailable();
if (!haveBrowser) console.warn(BROWSER_SKIPPED);

const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SCREENSHOT = at("../../test-output/demo.png");

type RGB = [number, number, number];
interface Cells { n: number; real: number; version: number; head: number; rgb: RGB[][]; distinct: number }

/** The centre pixel of every cell of the big heatmap, read back from the canvas. */
async function cells(page: Page): Promise<Cells> {
  return page.evaluate(() => {
    const c = document.getElementById("heatmap") as HTMLCanvasElement;
    const { x0, y0, cell, n, real, version, head } = c.dataset;
    const N = Number(n), size = Number(cell);
    const img = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
    const rgb: [number, number, number][][] = [];
    const seen = new Set<number>();
    for (let i = 0; i < N; i++) {
      const row: [number, number, number][] = [];
      for (let j = 0; j < N; j++) {
        const x = Math.floor(Number(x0) + (j + 0.5) * size), y = Math.floor(Number(y0) + (i + 0.5) * size);
        const o = (y * img.width + x) * 4;
        row.push([img.data[o]!, img.data[o + 1]!, img.data[o + 2]!]);
        seen.add((img.data[o]! << 16) | (img.data[o + 1]! << 8) | img.data[o + 2]!);
      }
      rgb.push(row);
    }
    return { n: N, real: Number(real), version: Number(version), head: Number(head), rgb, distinct: seen.size };
  });
}

const white = ([r, g, b]: RGB) => r === 255 && g === 255 && b === 255;
const blue = ([r, g, b]: RGB) => b > r && b >= g && !white([r, g, b]);
const grey = ([r, g, b]: RGB) => r === g && g === b && r < 255;

async function redrawn(page: Page, after: number): Promise<void> {
  await page.waitForFunction((v) => Number(document.getElementById("heatmap")!.dataset.version) > v, after, { timeout: 10_000 });
}

describe.skipIf(!haveBrowser)("the demo page in Chromium", { timeout: 60_000 }, () => {
  let server: ViteDevServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    const logger = createLogger("warn");
    logger.warn = (m) => { warnings.push(m); };
    logger.error = (m) => { warnings.push(m); };
    server = await createServer({ configFile: at("../../demo/vite.config.ts"), customLogger: logger, server: { port: 0, host: "127.0.0.1" } });
    await server.listen();
    browser = await chromium.launch(chromiumLaunchOptions);
    context = await browser.newContext({ viewport: { width: 1200, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
    page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`page: ${String(e)}`));
    // Fully offline: every request goes to the dev server.
    page.on("request", (r) => { if (!r.url().startsWith(server.resolvedUrls!.local[0]!) && !r.url().startsWith("data:")) errors.push(`off-site request: ${r.url()}`); });
    await page.goto(server.resolvedUrls!.local[0]!);
    await page.waitForFunction(() => document.body.dataset.ready === "1", undefined, { timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  test("loads without console errors and says which build runs", async () => {
    expect(await page.textContent("#build-name")).toBe("relaxed-simd");
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  test("draws a heatmap: every cell shaded, many shades, tokens on both axes; a thumbnail per head", async () => {
    const c = await cells(page);
    expect(c.n).toBe(12); // "the animal didn't cross the street because it was too tired ."
    expect(c.real).toBe(12);
    for (const row of c.rgb) for (const px of row) expect(blue(px), `cell ${px}`).toBe(true);
    expect(c.distinct).toBeGreaterThan(20);
    // Labels: dark pixels left of and above the cells.
    const labelInk = await page.evaluate(() => {
      const cv = document.getElementById("heatmap") as HTMLCanvasElement;
      const x0 = Number(cv.dataset.x0), y0 = Number(cv.dataset.y0);
      const ctx = cv.getContext("2d")!;
      const ink = (d: Uint8ClampedArray) => { let k = 0; for (let i = 0; i < d.length; i += 4) if (d[i]! < 128) k++; return k; };
      return { left: ink(ctx.getImageData(0, y0, x0, cv.height - y0).data), top: ink(ctx.getImageData(x0, 0, cv.width - x0, y0).data) };
    });
    expect(labelInk.left).toBeGreaterThan(100);
    expect(labelInk.top).toBeGreaterThan(100);
    const thumbs = await page.$$eval("#head-list button canvas", (cs) => cs.map((c) => {
      const d = (c as HTMLCanvasElement).getContext("2d")!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let shaded = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2]! > d[i]! && d[i]! < 250) shaded++;
      return shaded / (d.length / 4);
    }));
    expect(thumbs).toHaveLength(4);
    for (const f of thumbs) expect(f).toBeGreaterThan(0.5);
  });

  test("causal, toggled from the keyboard, blanks exactly the upper triangle", async () => {
    const before = await cells(page);
    await page.focus("#causal");
    await page.keyboard.press("Space");
    await redrawn(page, before.version);
    const after = await cells(page);
    let changed = 0;
    for (let i = 0; i < after.n; i++) {
      for (let j = 0; j < after.n; j++) {
        expect(white(after.rgb[i]![j]!), `cell (${i}, ${j})`).toBe(j > i);
        if (after.rgb[i]![j]!.join() !== before.rgb[i]![j]!.join()) changed++;
      }
    }
    expect(changed).toBeGreaterThan(after.n * (after.n - 1) / 2); // the triangle and the rows' renormalised weights
    expect(await page.textContent("#heatmap-title")).toBeTruthy();
  });

  test("padding (arrow keys on the slider) hatches the padded keys grey; Tab reaches the head picker", async () => {
    const before = await cells(page);
    await page.keyboard.press("Tab"); // from the causal checkbox to the padding slider
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("pad");
    for (let k = 0; k < 3; k++) await page.keyboard.press("ArrowRight");
    await redrawn(page, before.version);
    const c = await cells(page);
    expect(c.n).toBe(15);
    expect(c.real).toBe(12);
    for (let i = 0; i < c.n; i++) {
      for (let j = 0; j < c.n; j++) {
        const px = c.rgb[i]![j]!;
        if (j >= c.real) expect(grey(px), `padded key (${i}, ${j}): ${px}`).toBe(true);
        else expect(white(px), `cell (${i}, ${j})`).toBe(j > i);
      }
    }
    await page.focus("#reset");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("head 0, kv head 0");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await redrawn(page, c.version);
    const h1 = await cells(page);
    expect(h1.head).toBe(1);
    expect(h1.rgb.flat().map(String)).not.toEqual(c.rgb.flat().map(String));
    expect(await page.getAttribute("#head-list button:nth-child(2)", "aria-pressed")).toBe("true");
  });

  test("heads and kv heads (GQA), softcap and scale redraw the heatmap", async () => {
    let v = (await cells(page)).version;
    await page.selectOption("#heads", "8");
    await redrawn(page, v);
    expect(await page.$$eval("#head-list button", (b) => b.length)).toBe(8);
    const kvOptions = await page.$$eval("#kv-heads option", (o) => o.map((x) => (x as HTMLOptionElement).value));
    expect(kvOptions).toEqual(["1", "2", "4", "8"]);
    for (const [sel, value] of [["#softcap", "2"], ["#scale", "0.8"]] as const) {
      const before = await cells(page);
      v = before.version;
      await page.fill(sel, value);
      await redrawn(page, v);
      const after = await cells(page);
      expect(after.rgb.flat().map(String), sel).not.toEqual(before.rgb.flat().map(String));
    }
    await page.click("#reset");
    expect(errors).toEqual([]);
  });

  test("switching the build redraws the same weights (to a pixel level or two) and shows the build's name", async () => {
    const first = await cells(page);
    let v = first.version;
    for (const b of ["simd", "scalar", "js", "relaxed-simd"]) {
      await page.selectOption("#build", b);
      await redrawn(page, v);
      expect(await page.textContent("#build-name")).toBe(b);
      const c = await cells(page);
      v = c.version;
      const worst = Math.max(...c.rgb.flat().flatMap((px, k) => px.map((x, ch) => Math.abs(x - first.rgb.flat()[k]![ch]!))));
      expect(worst, b).toBeLessThanOrEqual(2);
    }
  });

  test("the benchmark runs a case in the browser: GFLOP/s in the table, bars in the chart, markdown copied", async () => {
    await page.uncheck("input[name=bench-case][value=bert-base]");
    await page.click("#bench-run");
    await page.waitForFunction(() => /^(Done|Failed|Stopped)/.test(document.getElementById("bench-status")!.textContent!), undefined, { timeout: 60_000 });
    expect(await page.textContent("#bench-status")).toBe("Done: 1 case.");
    for (const impl of ["ours", "naive"]) {
      const g = await page.textContent(`#bench-rows tr[data-case="edge-small"][data-impl="${impl}"] .gflops`);
      expect(g, impl).toMatch(/^\d+(\.\d+)?$/);
      expect(Number(g)).toBeGreaterThan(0);
    }
    const ours = Number(await page.textContent('#bench-rows tr[data-impl="ours"] .gflops'));
    const naive = Number(await page.textContent('#bench-rows tr[data-impl="naive"] .gflops'));
    expect(ours).toBeGreaterThan(naive);
    const bars = await page.$$eval("#bench-chart rect.bar[data-case]", (rs) => rs.map((r) => Number(r.getAttribute("width"))));
    expect(bars).toHaveLength(2);
    expect(bars[0]!).toBeGreaterThan(bars[1]!);
    await page.click("#bench-copy");
    await page.waitForFunction(() => /Copied|Could not/.test(document.getElementById("bench-status")!.textContent!));
    const md = await page.evaluate(() => navigator.clipboard.readText());
    expect(md).toMatch(/^\| case \| shape \| implementation \| ms \(median\) \| GFLOP\/s \|/m);
    expect(md).toMatch(/^\| edge-small \| H 4, L 64, D 32 \| wasm-attention relaxed-simd \| [\d.]+ \| [\d.]+ \|/m);
    expect(md).toMatch(/^\| {2}\| {2}\| naive JS \| [\d.]+ \| [\d.]+ \|/m);
  });

  test("the arrow keys on the focused heatmap read out a cell's weight", async () => {
    await page.focus("#heatmap");
    for (const k of ["ArrowDown", "ArrowDown", "ArrowRight"]) await page.keyboard.press(k);
    expect(await page.textContent("#readout")).toMatch(/^head 0: query 2 “didn't” → key 1 “animal”: 0\.\d{4}$/);
    await page.keyboard.press("ArrowRight");
    expect(await page.textContent("#readout")).toMatch(/^head 0: query 2 “didn't” → key 2 “didn't”: 0\.\d{4}$/);
  });

  test("no console errors through all of it; a screenshot in test-output/demo.png", async () => {
    // Something to look at: causal, two padding tokens, 8 query heads on 2 kv heads, head 5, a cell read out.
    const v = (await cells(page)).version;
    await page.check("#causal");
    await page.fill("#pad", "2");
    await page.selectOption("#heads", "8");
    await page.selectOption("#kv-heads", "2");
    await page.click("#head-list button:nth-child(6)");
    await page.focus("#heatmap");
    for (const k of ["ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowRight"]) await page.keyboard.press(k);
    await redrawn(page, v);
    const c = await cells(page);
    expect([c.n, c.real, c.head]).toEqual([14, 12, 5]);
    mkdirSync(at("../../test-output"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

test.runIf(!haveBrowser)(BROWSER_SKIPPED, () => { expect(haveBrowser).toBe(false); });
