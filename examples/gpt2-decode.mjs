// GPT-2-style decoding with a KV cache: one attention layer of GPT-2 small's shape
// (E = 768, 12 heads of 64), random weights (no model weights are downloaded here).
// Prefills a prompt with one causal pass, then decodes token by token: each step
// projects only the new token, appends its key and value to the cache and attends over
// everything cached. Prints shapes and the time per token.
//
//   npm run build && node examples/gpt2-decode.mjs [promptLength=128] [newTokens=64]
import { init, MultiHeadAttention, KVCache } from "wasm-attention";

const E = 768, H = 12, D = 64;
const prompt = Number(process.argv[2] ?? 128), steps = Number(process.argv[3] ?? 64);
const { build } = await init();
console.log(`wasm-attention build: ${build}`);

let seed = 1;
const rand = (n, s) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * s);
const w = (r, c) => ({ data: rand(r * c, 1 / Math.sqrt(r)), dims: [r, c] });
const layer = new MultiHeadAttention({ wq: w(E, E), wk: w(E, E), wv: w(E, E), wo: w(E, E) }, { numHeads: H });
const cache = new KVCache({ numKvHeads: H, headDim: D, capacity: prompt + steps });

const x = { data: rand(prompt * E, 1), dims: [1, prompt, E] };
let t = performance.now();
const y = layer.forward(x, { cache, causal: true });
console.log(`prefill: x [1, ${prompt}, ${E}] -> y [${y.dims}] in ${(performance.now() - t).toFixed(2)} ms; cache length ${cache.length}`);

const times = [];
for (let i = 0; i < steps; i++) {
  const token = { data: rand(E, 1), dims: [1, 1, E] };
  t = performance.now();
  const out = layer.forward(token, { cache, causal: true });
  times.push(performance.now() - t);
  if (i === 0) console.log(`decode step: x [${token.dims}] -> y [${out.dims}] against ${cache.length} cached keys`);
}
times.sort((a, b) => a - b);
console.log(`decoded ${steps} tokens: median ${times[steps >> 1].toFixed(3)} ms per token (attention layer incl. projections), cache length ${cache.length}`);
layer.dispose();
cache.dispose();
