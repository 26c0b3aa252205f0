// Transformer-XL-style segment recurrence: segments of L tokens attend to a memory of
// the previous M positions plus the causal part of their own segment; after each
// segment the cache keeps only the last M entries (truncate). A relative-position bias
// (a per-head linear penalty on distance) goes in as an additive mask. Random weights.
//
//   npm run build && node examples/transformer-xl.mjs [segment=64] [memory=128] [segments=6]
import { init, MultiHeadAttention, KVCache } from "wasm-attention";

const E = 512, H = 8, D = 64;
const L = Number(process.argv[2] ?? 64), M = Number(process.argv[3] ?? 128), S = Number(process.argv[4] ?? 6);
const { build } = await init();
console.log(`wasm-attention build: ${build}`);

let seed = 3;
const rand = (n, s) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * s);
const w = (r, c) => ({ data: rand(r * c, 1 / Math.sqrt(r)), dims: [r, c] });
const layer = new MultiHeadAttention({ wq: w(E, E), wk: w(E, E), wv: w(E, E), wo: w(E, E) }, { numHeads: H });
const cache = new KVCache({ numKvHeads: H, headDim: D, capacity: M + L });

for (let s = 0; s < S; s++) {
  const mem = cache.length, Lkv = mem + L;
  const bias = new Float32Array(H * L * Lkv);
  for (let h = 0; h < H; h++) for (let i = 0; i < L; i++) for (let j = 0; j < Lkv; j++) {
    bias[(h * L + i) * Lkv + j] = -(2 ** -(h + 1)) * Math.abs(mem + i - j);
  }
  const x = { data: rand(L * E, 1), dims: [1, L, E] };
  const t = performance.now();
  const y = layer.forward(x, { cache, causal: true, mask: { data: bias, dims: [1, H, L, Lkv] } });
  const ms = performance.now() - t;
  cache.truncate(M);
  console.log(`segment ${s}: x [${x.dims}] with memory ${mem} -> y [${y.dims}] in ${ms.toFixed(2)} ms; memory now ${cache.length}`);
}
layer.dispose();
cache.dispose();
