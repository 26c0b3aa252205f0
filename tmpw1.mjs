const D = "/work/main/dist-bench/";
const { benchCases } = await import(D + "test/cases.js");
const { caseInputs } = await import(D + "bench/inputs.js");
const { timeContenders } = await import(D + "bench/harness.js");
const { oursPeer } = await import(D + "bench/peers/ours.js");
const { createAttentionPool } = await import("/work/main/dist/index.js");
const PH = [];
const poolPeer = { id: "pool", async prepare({ c, q, k, v }) { const pool = await createAttentionPool({ threads: 2 }); const opts = c.causal ? { causal: true } : {}; return { run: async () => { const r = (await pool.attention(q, k, v, opts)).data; PH.push(globalThis.__pt); return r; }, dispose: () => pool.close() }; } };
const harness = { budgetMs: 4000, minSamples: 9, maxSamples: 200, warmupCalls: 5, warmupMs: 600, sampleMs: 2 };
const q = (a, f) => a.slice().sort((x, y) => x - y)[Math.floor(a.length * f)];
for (const name of (process.argv[2] ?? "bert-512,gpt2-prefill,long-4k").split(",")) {
  const c = benchCases.find((x) => x.name === name);
  const inputs = caseInputs(c);
  const cs = [];
  for (const p of [oursPeer("simd"), poolPeer]) cs.push({ id: p.id, prepared: await p.prepare(inputs) });
  PH.length = 0;
  const t = await timeContenders(cs, harness);
  const w1 = PH.slice(10).map(({ T, W }) => Math.max(...W.map((w) => w[3])) - T[0]);
  const w0 = PH.slice(10).map(({ T, W }) => Math.min(...W.map((w) => w[3])) - T[0]);
  console.log(`${name}: single ${t.get("ours-simd").ms.toFixed(2)} pool ${t.get("pool").ms.toFixed(2)} ratio ${(t.get("ours-simd").ms / t.get("pool").ms).toFixed(2)} | w0 start p50 ${q(w0, .5).toFixed(2)} | w1 start p25 ${q(w1, .25).toFixed(2)} p50 ${q(w1, .5).toFixed(2)} p75 ${q(w1, .75).toFixed(2)} p90 ${q(w1, .9).toFixed(2)} | >2ms late: ${w1.filter((x) => x > 2).length}/${w1.length}`);
  const rows = PH.slice(10).map(({ T, W }) => { const s = W.slice().sort((a, b) => a[3] - b[3]); const w = s[1]; return { late: w[3] - T[0], rqwait: w[8] ? (w[6][1] - w[8][1]) / 1e6 : NaN, cpu0: s[0][6][3], cpu1: w[6][3], cpu0end: s[0][7][3] }; });
  const lateOnes = rows.filter((r) => r.late > 2), fine = rows.filter((r) => r.late <= 1.2);
  const mq = (a, k) => q(a.map((r) => r[k]).filter((x) => !Number.isNaN(x)), .5);
  console.log("  late (>2 ms) calls: w1 runqueue wait before its message p50", mq(lateOnes, "rqwait")?.toFixed(2), "same cpu as w0 at start", lateOnes.filter((r) => r.cpu0 === r.cpu1).length, "/", lateOnes.length, "| on-time calls: rq wait", mq(fine, "rqwait")?.toFixed(2), "same cpu", fine.filter((r) => r.cpu0 === r.cpu1).length, "/", fine.length);
  for (const x of cs) await x.prepared.dispose?.();
}
process.exit(0);
