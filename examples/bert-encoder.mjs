// BERT-style encoder self-attention on a right-padded batch: one layer of BERT-base's
// shape (E = 768, 12 heads of 64), random weights. keyLengths masks the padding keys
// without a dense mask. Prints shapes and the time per batch.
//
//   npm run build && node examples/bert-encoder.mjs [seqLength=128]
import { init, selfAttention } from "wasm-attention";

const E = 768, H = 12, L = Number(process.argv[2] ?? 128);
const lengths = [L, Math.floor(L * 0.7), Math.floor(L * 0.3)];
const B = lengths.length;
const { build } = await init();
console.log(`wasm-attention build: ${build}`);

let seed = 7;
const rand = (n, s) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * s);
const w = (r, c) => ({ data: rand(r * c, 1 / Math.sqrt(r)), dims: [r, c] });
const weights = { wq: w(E, E), wk: w(E, E), wv: w(E, E), wo: w(E, E) };
const x = { data: rand(B * L * E, 1), dims: [B, L, E] };

selfAttention(x, weights, { numHeads: H, keyLengths: lengths }); // warm-up (V8 tiers up)
const t = performance.now();
const y = selfAttention(x, weights, { numHeads: H, keyLengths: lengths });
const ms = performance.now() - t;
console.log(`x [${x.dims}] (valid lengths ${lengths.join(", ")}) -> y [${y.dims}] in ${ms.toFixed(2)} ms (projections + attention + output projection, weights copied in each call)`);
