// The demo page: controls → the toy model (model.ts) → one heatmap per head
// (heatmap.ts), redrawn on every change; the benchmark panel is bench.ts.
import { init, type Build } from "../src/web.js";
import { benchCases } from "../test/cases.js";
import { tokenize } from "./tokenizer.js";
import { run, HEAD_DIM, PAD, type ModelOutput } from "./model.js";
import { cellAt, drawHeatmap, isMasked, maxWeight, rampCss, type HeatmapData } from "./heatmap.js";
import { setupBench } from "./bench.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const text = $<HTMLTextAreaElement>("text"), causal = $<HTMLInputElement>("causal");
const pad = $<HTMLInputElement>("pad"), heads = $<HTMLSelectElement>("heads"), kvHeads = $<HTMLSelectElement>("kv-heads");
const softcap = $<HTMLInputElement>("softcap"), scale = $<HTMLInputElement>("scale");
const buildSelect = $<HTMLSelectElement>("build"), canvas = $<HTMLCanvasElement>("heatmap");
const DEFAULT_SCALE = 1 / Math.sqrt(HEAD_DIM);
const BENCH = [
  { name: "edge-small", checked: true, note: "" },
  { name: "bert-base", checked: true, note: "" },
  { name: "bert-512", checked: false, note: " (slow: the naive loop takes about a second a call)" },
];

let build: Build = "js";
let out: ModelOutput | null = null;
let head = 0;
let cursor: { i: number; j: number } | null = null;
let version = 0;

function kvChoices(): void {
  const h = Number(heads.value), keep = Number(kvHeads.value) || Math.max(1, h / 2);
  kvHeads.replaceChildren(...[1, 2, 4, 8].filter((k) => k <= h && h % k === 0).map((k) => {
    const o = new Option(k === h ? `${k} (one per head)` : k === 1 ? `${k} (MQA)` : String(k), String(k));
    o.selected = k === Math.min(keep, h);
    return o;
  }));
}

function headData(h: number): HeatmapData {
  const L = out!.tokens.length;
  return { w: out!.weights.subarray(h * L * L, (h + 1) * L * L), tokens: out!.tokens, real: out!.real, causal: causal.checked };
}

function update(): void {
  const tokens = tokenize(text.value);
  $("token-count").textContent = String(tokens.length);
  $("tokens").replaceChildren(...[...tokens, ...Array<string>(Number(pad.value)).fill(PAD)].map((t, i) => {
    const s = document.createElement("span");
    s.textContent = t;
    s.className = i >= tokens.length ? "token pad" : "token";
    return s;
  }));
  $("pad-out").textContent = pad.value;
  $("softcap-out").textContent = Number(softcap.value) === 0 ? "off" : softcap.value;
  const sc = Number(scale.value);
  $("scale-out").textContent = Math.abs(sc - DEFAULT_SCALE) < 1e-9 ? `${sc} (1/√${HEAD_DIM}, the default)` : String(sc);
  const error = $("error");
  if (tokens.length === 0) {
    out = null;
    error.textContent = "Type a sentence to see its attention.";
    error.hidden = false;
    drawHeads();
    drawMain();
    return;
  }
  try {
    out = run({
      tokens, pad: Number(pad.value), heads: Number(heads.value), kvHeads: Number(kvHeads.value),
      causal: causal.checked, softcap: Number(softcap.value), scale: sc,
    });
    error.hidden = true;
  } catch (e) {
    out = null;
    error.textContent = `selfAttention failed: ${(e as Error).message}`;
    error.hidden = false;
    console.error(e);
  }
  head = Math.min(head, Number(heads.value) - 1);
  if (cursor && out && (cursor.i >= out.tokens.length || cursor.j >= out.tokens.length)) cursor = null;
  drawHeads();
  drawMain();
}

// The thumbnails, one per head (buttons: Tab reaches them, Enter or Space picks one).
function drawHeads(): void {
  const list = $("head-list");
  if (!out) { list.replaceChildren(); return; }
  const group = out.heads / Number(kvHeads.value);
  list.replaceChildren(...Array.from({ length: out.heads }, (_, h) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "head";
    b.setAttribute("aria-pressed", String(h === head));
    b.setAttribute("aria-label", `head ${h}, kv head ${Math.floor(h / group)}`);
    const c = document.createElement("canvas");
    drawHeatmap(c, headData(h), { size: out!.heads > 4 ? 60 : 84, labels: false });
    const cap = document.createElement("span");
    cap.textContent = `head ${h} · kv ${Math.floor(h / group)}`;
    b.append(c, cap);
    b.addEventListener("click", () => { head = h; drawMain(); });
    return b;
  }));
}

// The selected head, large, with the tokens on both axes.
function drawMain(): void {
  if (!out) {
    canvas.getContext("2d")!.clearRect(0, 0, canvas.width, canvas.height);
    readout();
    return;
  }
  [...$("head-list").children].forEach((b, h) => b.setAttribute("aria-pressed", String(h === head)));
  const group = out.heads / Number(kvHeads.value);
  const d = headData(head);
  drawHeatmap(canvas, d, { size: 520, labels: true, cursor });
  canvas.dataset.version = String(++version);
  canvas.dataset.head = String(head);
  canvas.setAttribute("aria-label", `Attention weights of head ${head} (kv head ${Math.floor(head / group)}), ${out.tokens.length} tokens${causal.checked ? ", causal" : ""}`);
  $("legend-max").textContent = maxWeight(d.w).toFixed(2);
  readout();
}

function readout(): void {
  const r = $("readout");
  if (!out || !cursor) { r.textContent = "\u00a0"; return; }
  const d = headData(head), { i, j } = cursor, L = d.tokens.length;
  const what = j >= d.real ? "0 (padding key)" : isMasked(d, i, j) ? "0 (not visible: causal)" : d.w[i * L + j]!.toFixed(4);
  r.textContent = `head ${head}: query ${i} “${d.tokens[i]}” → key ${j} “${d.tokens[j]}”: ${what}`;
}

function reset(): void {
  head = 0;
  causal.checked = false;
  pad.value = "0";
  heads.value = "4";
  kvHeads.value = "";
  kvChoices();
  kvHeads.value = "2";
  softcap.value = "0";
  scale.value = String(DEFAULT_SCALE);
  update();
}

async function switchBuild(want: Build): Promise<void> {
  buildSelect.disabled = true;
  try {
    build = (await init(undefined, { build: want })).build;
  } catch (e) {
    $("error").textContent = (e as Error).message;
    $("error").hidden = false;
  }
  $("build-name").textContent = build;
  document.body.dataset.build = build;
  buildSelect.value = build;
  buildSelect.disabled = false;
  update();
}

async function main(): Promise<void> {
  document.querySelector<HTMLElement>(".legend .ramp")!.style.background = rampCss;
  kvChoices();
  kvHeads.value = "2";
  for (const el of [text, causal, pad, kvHeads, softcap, scale]) el.addEventListener("input", update);
  heads.addEventListener("input", () => { kvChoices(); update(); });
  $("reset").addEventListener("click", reset);
  buildSelect.addEventListener("change", () => void switchBuild(buildSelect.value as Build));

  canvas.addEventListener("mousemove", (e) => {
    const c = cellAt(canvas, e);
    if (c?.i !== cursor?.i || c?.j !== cursor?.j) { cursor = c; drawMain(); }
  });
  canvas.addEventListener("mouseleave", () => { cursor = null; drawMain(); });
  canvas.addEventListener("focus", () => { if (!cursor && out) { cursor = { i: 0, j: 0 }; drawMain(); } });
  canvas.addEventListener("blur", () => { cursor = null; drawMain(); });
  canvas.addEventListener("keydown", (e) => {
    if (!out) return;
    const n = out.tokens.length, c = cursor ?? { i: 0, j: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const m = moves[e.key];
    if (m) cursor = { i: Math.min(n - 1, Math.max(0, c.i + m[0])), j: Math.min(n - 1, Math.max(0, c.j + m[1])) };
    else if (e.key === "Home") cursor = { i: c.i, j: 0 };
    else if (e.key === "End") cursor = { i: c.i, j: n - 1 };
    else return;
    e.preventDefault();
    drawMain();
  });

  const box = $("bench-cases");
  for (const b of BENCH) {
    const c = benchCases.find((x) => x.name === b.name)!;
    const label = document.createElement("label");
    label.className = "check";
    const input = document.createElement("input");
    Object.assign(input, { type: "checkbox", name: "bench-case", value: c.name, checked: b.checked });
    label.append(input, ` ${c.name} `, Object.assign(document.createElement("span"), {
      className: "hint", textContent: `H ${c.Hq}, L ${c.Lq}, D ${c.Dk}: ${c.what}${b.note}`,
    }));
    box.append(label);
  }
  setupBench(() => build);

  const got = await init();
  build = got.build;
  for (const o of buildSelect.options) {
    o.disabled = (o.value === "relaxed-simd" && !got.relaxedSimd) || (o.value === "simd" && !got.simd);
  }
  $("build-name").textContent = build;
  document.body.dataset.build = build;
  buildSelect.value = build;
  buildSelect.disabled = false;
  update();
  document.body.dataset.ready = "1";
}

main().catch((e) => {
  $("error").textContent = `Could not start: ${(e as Error).message}`;
  $("error").hidden = false;
  console.error(e);
});
