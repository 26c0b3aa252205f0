// Draws one head's attention weights on a canvas: query tokens down the left, key tokens
// along the top, a cell per (query, key) shaded from pale to dark blue by its weight
// (0 … the head's largest weight). Cells a query cannot see are left blank (causal) or
// hatched grey (padding keys); padding tokens' labels are grey and italic.

export interface Geometry {
  /** Device pixels: the top-left corner of cell (0, 0), and the cell's side. */
  x0: number; y0: number; cell: number;
  n: number;
}

export interface HeatmapData {
  /** One head, [L, L] row-major: w[i·L + j], query i to key j. */
  w: Float32Array;
  tokens: string[];
  /** Tokens at or past this index are padding. */
  real: number;
  causal: boolean;
}

// ColorBrewer "Blues", from its second stop (the first is too close to white for a cell).
const RAMP = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
  .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number]);

export function color(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x)), f = x - i;
  const a = RAMP[i]!, b = RAMP[i + 1]!;
  return `rgb(${[0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)).join(",")})`;
}

export const rampCss = `linear-gradient(to right, ${RAMP.map((c) => `rgb(${c.join(",")})`).join(", ")})`;

const FONT = "12px system-ui, sans-serif";
const BG = "#ffffff";

export const isMasked = (d: HeatmapData, i: number, j: number) => j >= d.real || (d.causal && j > i);

export function maxWeight(w: Float32Array): number {
  let m = 0;
  for (const x of w) if (x > m) m = x;
  return m;
}

/**
 * Draws `d` into `canvas`, sized to fit `size` CSS pixels (the plot area), with token
 * labels when `labels`; `cursor` outlines one cell. Returns where the cells are.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement, d: HeatmapData,
  o: { size: number; labels: boolean; cursor?: { i: number; j: number } | null },
): Geometry {
  const dpr = Math.max(1, Math.round(globalThis.devicePixelRatio || 1));
  const n = d.tokens.length;
  const ctx = canvas.getContext("2d")!;
  const cellCss = o.labels ? Math.max(14, Math.min(32, Math.floor(o.size / Math.max(n, 1)))) : Math.max(2, Math.floor(o.size / Math.max(n, 1)));
  let left = 0, top = 0;
  if (o.labels) {
    ctx.font = FONT;
    const widest = Math.max(30, ...d.tokens.map((t) => ctx.measureText(t).width));
    left = Math.ceil(widest) + 12;
    top = Math.ceil(widest * Math.SQRT1_2 + 14) + 16;
  }
  const cssW = left + n * cellCss + (o.labels ? 40 : 0), cssH = top + n * cellCss + (o.labels ? 4 : 0);
  canvas.width = cssW * dpr; canvas.height = cssH * dpr;
  canvas.style.width = `${cssW}px`; canvas.style.height = `${cssH}px`;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, cssW, cssH);

  const max = maxWeight(d.w) || 1;
  const gap = cellCss >= 10 ? 1 : 0;
  const hatch = ctx.createPattern(hatchTile(dpr), "repeat")!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = left + j * cellCss, y = top + i * cellCss;
      if (j >= d.real) {
        ctx.fillStyle = hatch;
        ctx.fillRect(x, y, cellCss - gap, cellCss - gap);
      } else if (!isMasked(d, i, j)) {
        ctx.fillStyle = color(d.w[i * n + j]! / max);
        ctx.fillRect(x, y, cellCss - gap, cellCss - gap);
      }
    }
  }
  if (o.labels) {
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    const labelStyle = (k: number, on: boolean) => {
      ctx.font = `${k >= d.real ? "italic " : ""}${on ? "bold " : ""}${FONT}`;
      ctx.fillStyle = k >= d.real ? "#8a8a8a" : "#1f2328";
    };
    ctx.textAlign = "right";
    for (let i = 0; i < n; i++) {
      labelStyle(i, o.cursor?.i === i);
      ctx.fillText(d.tokens[i]!, left - 6, top + (i + 0.5) * cellCss);
    }
    ctx.textAlign = "left";
    for (let j = 0; j < n; j++) {
      labelStyle(j, o.cursor?.j === j);
      ctx.save();
      ctx.translate(left + (j + 0.5) * cellCss, top - 6);
      ctx.rotate(-Math.PI / 4);
      ctx.fillText(d.tokens[j]!, 0, 0);
      ctx.restore();
    }
    ctx.font = FONT;
    ctx.fillStyle = "#57606a";
    ctx.textAlign = "left";
    ctx.fillText("keys →", 2, 10);
    ctx.fillText("queries ↓", 2, top - 8);
    if (d.real < n) { // a dashed line where the padding starts
      ctx.strokeStyle = "#8a8a8a";
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(left + d.real * cellCss - 0.5, top);
      ctx.lineTo(left + d.real * cellCss - 0.5, top + n * cellCss);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (o.cursor) {
      ctx.strokeStyle = "#d4380d";
      ctx.lineWidth = 2;
      ctx.strokeRect(left + o.cursor.j * cellCss - 1, top + o.cursor.i * cellCss - 1, cellCss + 1, cellCss + 1);
      ctx.lineWidth = 1;
    }
  }
  const g = { x0: left * dpr, y0: top * dpr, cell: cellCss * dpr, n };
  Object.assign(canvas.dataset, { x0: g.x0, y0: g.y0, cell: g.cell, n: g.n, real: d.real });
  return g;
}

function hatchTile(dpr: number): HTMLCanvasElement {
  const s = 6 * dpr;
  const t = document.createElement("canvas");
  t.width = t.height = s;
  const c = t.getContext("2d")!;
  c.fillStyle = "#f0f0f0";
  c.fillRect(0, 0, s, s);
  c.strokeStyle = "#c4c4c4";
  c.lineWidth = dpr;
  c.beginPath();
  c.moveTo(0, s); c.lineTo(s, 0);
  c.moveTo(-s / 2, s / 2); c.lineTo(s / 2, -s / 2);
  c.moveTo(s / 2, s * 1.5); c.lineTo(s * 1.5, s / 2);
  c.stroke();
  return t;
}

/** The cell under a mouse event, or null. */
export function cellAt(canvas: HTMLCanvasElement, e: MouseEvent): { i: number; j: number } | null {
  const r = canvas.getBoundingClientRect();
  const scale = canvas.width / r.width;
  const x = (e.clientX - r.left) * scale, y = (e.clientY - r.top) * scale;
  const { x0, y0, cell, n } = canvas.dataset;
  const j = Math.floor((x - Number(x0)) / Number(cell)), i = Math.floor((y - Number(y0)) / Number(cell));
  return i >= 0 && j >= 0 && i < Number(n) && j < Number(n) ? { i, j } : null;
}
