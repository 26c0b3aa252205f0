// The demo's toy model: each token gets a seeded embedding (seeded by its text, so the
// same word always gets the same vector) plus a sinusoidal position encoding, and the
// Q/K/V projections are seeded too. selfAttention() does the rest, with returnWeights.
// Query head h's projection is a mix of its kv head's key projection and noise (more of
// the key projection for some heads than others), so some heads look for the same or
// similar tokens, some for neighbours (the position encoding), some look around widely.
import { selfAttention, type AttentionWeights } from "../src/web.js";
import { seedOf } from "../test/cases.js";
import { Rng } from "../test/util/rng.js";

/** Embedding width and head size. */
export const E = 64;
export const HEAD_DIM = 16;
export const PAD = "[pad]";
/** How much of its kv head's key projection each query head's projection is (by head). */
const ALIGN = [1, 0.35, 0.8, 0, 0.6, 0.15, 0.9, 0.45];

export interface ModelInput {
  tokens: string[];
  /** Padding tokens appended after the real ones (masked as keys through keyLengths). */
  pad: number;
  heads: number;
  kvHeads: number;
  causal: boolean;
  /** 0 = off. */
  softcap: number;
  scale: number;
}

export interface ModelOutput {
  /** [heads, L, L]: weights[h][i][j], query i attending to key j. */
  weights: Float32Array;
  /** Tokens on both axes: the real ones, then `pad` padding tokens. */
  tokens: string[];
  /** Real (unpadded) tokens: keys at or past this index get zero weight. */
  real: number;
  heads: number;
  ms: number;
}

const uniform = (seed: string, n: number, r: number) => new Rng(seedOf(seed)).uniform(n, -r, r);

function embed(tokens: string[]): Float32Array {
  const x = new Float32Array(tokens.length * E);
  tokens.forEach((t, p) => {
    const v = uniform(`token:${t}`, E, 1);
    for (let d = 0; d < E; d++) {
      const freq = 1 / 10000 ** ((2 * (d >> 1)) / E);
      const pe = d % 2 === 0 ? Math.sin(p * freq) : Math.cos(p * freq);
      x[p * E + d] = v[d]! + 0.8 * pe;
    }
  });
  return x;
}

// Columns of a [E, n·D] matrix; `cols(h)` gives head h's [E, D] block.
function matrix(heads: number, cols: (h: number) => Float32Array): Float32Array {
  const D = HEAD_DIM, n = heads * D;
  const w = new Float32Array(E * n);
  for (let h = 0; h < heads; h++) {
    const b = cols(h);
    for (let e = 0; e < E; e++) for (let d = 0; d < D; d++) w[e * n + h * D + d] = b[e * D + d]!;
  }
  return w;
}

// x entries have variance ≈ 1/3 + 0.8²/2 ≈ 0.65; weights uniform in ±r give projections of variance ≈ 1.
const R = Math.sqrt(3 / (E * 0.65));

export function weightsFor(heads: number, kvHeads: number): AttentionWeights {
  const D = HEAD_DIM, group = heads / kvHeads;
  const wkHead = (g: number) => uniform(`wk:${g}`, E * D, R);
  const wq = matrix(heads, (h) => {
    const a = ALIGN[h % ALIGN.length]!;
    const k = wkHead(Math.floor(h / group)), noise = uniform(`wq:${h}`, E * D, R);
    const b = Math.sqrt(1 - a * a);
    return k.map((x, i) => a * x + b * noise[i]!);
  });
  return {
    wq: { data: wq, dims: [E, heads * D] },
    wk: { data: matrix(kvHeads, wkHead), dims: [E, kvHeads * D] },
    wv: { data: matrix(kvHeads, (g) => uniform(`wv:${g}`, E * D, R)), dims: [E, kvHeads * D] },
  };
}

export function run(input: ModelInput): ModelOutput {
  const tokens = [...input.tokens, ...Array<string>(input.pad).fill(PAD)];
  const L = tokens.length, real = input.tokens.length;
  const t0 = performance.now();
  const r = selfAttention({ data: embed(tokens), dims: [1, L, E] }, weightsFor(input.heads, input.kvHeads), {
    numHeads: input.heads, numKvHeads: input.kvHeads, causal: input.causal,
    keyLengths: [real], softcap: input.softcap, scale: input.scale, returnWeights: true,
  });
  const ms = performance.now() - t0;
  return { weights: r.weights!.data, tokens, real, heads: input.heads, ms };
}
