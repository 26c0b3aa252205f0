// The benchmark panel: starts the worker (bench-worker.ts), then draws each finished case
// as bars (GFLOP/s, SVG) and table rows; "Copy as markdown" copies the table.
import type { Build } from "../src/types.js";
import type { CaseResult, FromWorker, ToWorker } from "./bench-worker.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const SVG = "http://www.w3.org/2000/svg";

const fmt = (x: number, digits = 3) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(digits));

export function setupBench(currentBuild: () => Build): void {
  const run = $<HTMLButtonElement>("bench-run"), stop = $<HTMLButtonElement>("bench-stop");
  const copy = $<HTMLButtonElement>("bench-copy"), status = $("bench-status");
  const tbody = $<HTMLTableSectionElement>("bench-rows");
  let worker: Worker | null = null;
  let results: CaseResult[] = [];

  const finish = (text: string) => {
    worker?.terminate();
    worker = null;
    run.disabled = false; stop.disabled = true;
    status.textContent = text;
  };

  run.addEventListener("click", () => {
    const cases = [...document.querySelectorAll<HTMLInputElement>("input[name=bench-case]:checked")].map((i) => i.value);
    if (cases.length === 0) { status.textContent = "Pick at least one case."; return; }
    results = [];
    render(results);
    copy.disabled = true;
    run.disabled = true; stop.disabled = false;
    status.textContent = "Starting…";
    const w = new Worker(new URL("./bench-worker.ts", import.meta.url), { type: "module" });
    worker = w;
    w.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === "progress") status.textContent = m.text;
      else if (m.type === "case") { results.push(m.result); render(results); copy.disabled = false; }
      else if (m.type === "done") finish(`Done: ${results.length} case${results.length === 1 ? "" : "s"}.`);
      else { console.error(`benchmark: ${m.message}`); finish(`Failed: ${m.message}`); }
    };
    w.onerror = (e) => { console.error(`benchmark worker: ${e.message}`); finish(`Failed: ${e.message}`); };
    w.postMessage({ type: "run", build: currentBuild(), cases } satisfies ToWorker);
  });

  stop.addEventListener("click", () => finish(`Stopped after ${results.length} case${results.length === 1 ? "" : "s"}.`));

  copy.addEventListener("click", async () => {
    const md = markdown(results);
    let ok = false;
    try {
      await navigator.clipboard.writeText(md);
      ok = true;
    } catch {
      // No clipboard API or no permission (plain http, some browsers): the old way.
      const ta = document.createElement("textarea");
      ta.value = md;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed"; ta.style.opacity = "0";
      document.body.append(ta);
      ta.select();
      ok = document.execCommand("copy");
      ta.remove();
    }
    $("bench-markdown").textContent = md;
    status.textContent = ok ? "Copied the table as markdown." : "Could not copy; the markdown is below to copy by hand.";
    if (!ok) ($("bench-markdown-box") as HTMLDetailsElement).open = true;
  });

  function render(rs: CaseResult[]): void {
    tbody.replaceChildren();
    for (const r of rs) {
      for (const [impl, m, speedup] of [[`wasm-attention ${r.build}`, r.ours, r.naive.ms / r.ours.ms], ["naive JS", r.naive, 1]] as const) {
        const tr = document.createElement("tr");
        tr.dataset.case = r.name;
        tr.dataset.impl = impl === "naive JS" ? "naive" : "ours";
        const cells = [
          impl === "naive JS" ? "" : r.name, impl === "naive JS" ? "" : r.shape, impl, fmt(m.ms), fmt(m.gflops),
          speedup === 1 ? "1" : `${speedup.toFixed(1)}×`, String(m.samples), impl === "naive JS" ? "" : r.maxDiff.toExponential(1),
        ];
        cells.forEach((text, c) => {
          const td = document.createElement(c === 0 ? "th" : "td");
          if (c === 0) td.setAttribute("scope", "row");
          td.textContent = text;
          if (c === 4) td.className = "gflops";
          tr.append(td);
        });
        tbody.append(tr);
      }
    }
    $("bench-table").hidden = rs.length === 0;
    chart(rs);
  }
}

export function markdown(rs: CaseResult[]): string {
  const head = ["case", "shape", "implementation", "ms (median)", "GFLOP/s", "vs naive JS", "samples", "max abs diff"];
  const rows = rs.flatMap((r) => [
    [r.name, r.shape, `wasm-attention ${r.build}`, fmt(r.ours.ms), fmt(r.ours.gflops), `${(r.naive.ms / r.ours.ms).toFixed(1)}×`, String(r.ours.samples), r.maxDiff.toExponential(1)],
    ["", "", "naive JS", fmt(r.naive.ms), fmt(r.naive.gflops), "1", String(r.naive.samples), ""],
  ]);
  const right = new Set([3, 4, 5, 6, 7]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `In-browser benchmark (wasm-attention demo), ${new Date().toISOString().slice(0, 10)}, ${navigator.userAgent}, ${navigator.hardwareConcurrency} logical cores.`,
    "",
    line(head),
    line(head.map((_, i) => (right.has(i) ? "---:" : "---"))),
    ...rows.map(line),
  ].join("\n");
}

// Horizontal bars, two per case (ours, naive JS), GFLOP/s on a shared linear axis.
function chart(rs: CaseResult[]): void {
  const svg = $("bench-chart") as unknown as SVGSVGElement;
  svg.replaceChildren();
  svg.toggleAttribute("hidden", rs.length === 0);
  if (rs.length === 0) return;
  const W = 640, labelW = 150, barH = 18, gap = 4, groupGap = 14, right = 60;
  const max = Math.max(...rs.flatMap((r) => [r.ours.gflops, r.naive.gflops])) || 1;
  const x = (v: number) => (v / max) * (W - labelW - right);
  const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  let y = 24;
  el("text", { x: labelW, y: 12, class: "axis" }, "GFLOP/s (higher is better)");
  for (const r of rs) {
    el("text", { x: labelW - 8, y: y + barH + gap / 2 + 4, "text-anchor": "end", class: "case" }, r.name);
    for (const [who, m] of [["ours", r.ours], ["naive", r.naive]] as const) {
      const bar = el("rect", { x: labelW, y, width: Math.max(1, x(m.gflops)), height: barH, class: `bar ${who}` });
      bar.dataset.case = r.name;
      el("title", {}, `${who === "ours" ? `wasm-attention ${r.build}` : "naive JS"}: ${fmt(m.gflops)} GFLOP/s`);
      bar.append(svg.lastChild!);
      el("text", { x: labelW + Math.max(1, x(m.gflops)) + 4, y: y + barH / 2 + 4, class: "value" }, fmt(m.gflops));
      y += barH + gap;
    }
    y += groupGap;
  }
  const legendY = y;
  el("rect", { x: labelW, y: legendY, width: 12, height: 12, class: "bar ours" });
  el("text", { x: labelW + 18, y: legendY + 10 }, `wasm-attention ${rs[0]!.build}`);
  el("rect", { x: labelW + 200, y: legendY, width: 12, height: 12, class: "bar naive" });
  el("text", { x: labelW + 218, y: legendY + 10 }, "naive JS loop");
  svg.setAttribute("viewBox", `0 0 ${W} ${legendY + 18}`);
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", String(legendY + 18));
}
