// The threads benchmark: wasm-attention's worker pool (createAttentionPool, 2 threads)
// against attention() on one thread and onnxruntime-web with 2 threads, on the shapes the
// pool targets (bert-512, gpt2-prefill, long-4k). A process of its own: onnxruntime-web
// fixes its thread count when its wasm backend first starts, so the 1-thread peers of
// bench/run.ts and its 2-thread run cannot share a process.
//
//   node --expose-gc dist-bench/bench/threads.js [--quick] [--no-readme]
//
// Writes bench/results/threads.{json,md} and the table between the bench-threads markers
// in README.md. `npm run bench` runs it after the main suite.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type * as Ort from "onnxruntime-web";
import { benchCases } from "../test/cases.js";
import { caseInputs, casePairs, maxAbsError, reference } from "./inputs.js";
import { timeContenders, type Contender, type HarnessOptions } from "./harness.js";
import { machineInfo } from "./machine.js";
import { oursPeer } from "./peers/ours.js";
import { ortPeer } from "./peers/onnxruntime.js";
import type { Peer } from "./peers/types.js";

const THREADS = 2;
const quick = process.argv.includes("--quick");
const readme = !process.argv.includes("--no-readme");
const harness: HarnessOptions = quick
  ? { budgetMs: 1500, minSamples: 5, maxSamples: 60, warmupCalls: 3, warmupMs: 300, sampleMs: 2 }
  : { budgetMs: 4000, minSamples: 9, maxSamples: 200, warmupCalls: 5, warmupMs: 600, sampleMs: 2 };
const log = (s: string) => process.stdout.write(s + "\n");

// The pool from the package as built (dist/): its workers and the simd-threads build are
// found beside that module, as in an installed package.
type Pkg = typeof import("../src/index.js");
const pkg = () => import(new URL("../../dist/index.js", import.meta.url).href) as Promise<Pkg>;

const poolPeer: Peer = {
  id: "ours-pool", label: `wasm-attention pool (${THREADS} threads)`, kind: "ours",
  async prepare({ c, q, k, v }) {
    const { createAttentionPool } = await pkg();
    const pool = await createAttentionPool({ threads: THREADS });
    if (pool.threads !== THREADS) { await pool.close(); return `the pool has ${pool.threads} threads here`; }
    const opts = c.causal ? { causal: true } : {};
    return { run: async () => (await pool.attention(q, k, v, opts)).data, dispose: () => pool.close() };
  },
};

const ortWeb2 = ortPeer({
  id: "ort-web-2", label: `onnxruntime-web (${THREADS} threads)`, form: "whole",
  load: async () => {
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = THREADS;
    ort.env.logLevel = "error";
    // No spinning: after a run, onnxruntime's pool threads otherwise busy-wait for more
    // work, and on 2 cores that ate into whichever contender the interleaved rounds ran
    // next (the pool's bert-512 time was bimodal, 13 or 21 ms, until this was set). A
    // one-node model has no gap between ops for spinning to bridge.
    const options = {
      executionProviders: ["wasm"], graphOptimizationLevel: "all",
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    } as Ort.InferenceSession.SessionOptions;
    return { ort, options };
  },
});

const peers: Peer[] = [oursPeer("simd"), poolPeer, ortWeb2];
const CASES = ["bert-512", "gpt2-prefill", "long-4k"];

interface Row { id: string; label: string; ms: number; samples: number; maxAbsError: number | null; ok: boolean | null }
interface CaseRow { name: string; rows: Row[]; skipped: { id: string; reason: string }[] }

async function main(): Promise<void> {
  const t0 = performance.now();
  const machine = machineInfo();
  log(`wasm-attention threads benchmark: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  const out: CaseRow[] = [];
  for (const name of CASES) {
    const c = benchCases.find((x) => x.name === name)!;
    const inputs = caseInputs(c);
    const ref = reference(inputs, null);
    const contenders: (Contender & { peer: Peer })[] = [];
    const skipped: CaseRow["skipped"] = [];
    for (const peer of peers) {
      const p = await peer.prepare(inputs).catch((e: unknown) => `setup failed: ${e instanceof Error ? e.message : String(e)}`);
      if (typeof p === "string") skipped.push({ id: peer.id, reason: p });
      else contenders.push({ id: peer.id, prepared: p, peer });
    }
    const timings = await timeContenders(contenders, harness);
    const rows: Row[] = [];
    for (const ct of contenders) {
      const t = timings.get(ct.id)!;
      const err = maxAbsError(c, t.output, ref, undefined);
      rows.push({ id: ct.id, label: ct.peer.label, ms: t.ms, samples: t.samples, maxAbsError: err, ok: err <= ref.bound });
      await ct.prepared.dispose?.();
    }
    out.push({ name, rows, skipped });
    log(`${name}: ${rows.map((r) => `${r.id} ${r.ms.toFixed(2)} ms`).join(" | ")}${skipped.length ? ` | skipped ${skipped.map((s) => `${s.id} (${s.reason})`).join(", ")}` : ""}`);
  }

  const one = (cr: CaseRow, id: string) => cr.rows.find((r) => r.id === id);
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (threads part, ${((performance.now() - t0) / 1000).toFixed(0)} s) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}. ms: median per call, end to end, interleaved samples. GFLOP/s counts 4·D flops per visible (query, key) pair.`,
    "",
    `| case | implementation | ms | GFLOP/s | × one thread | vs onnxruntime-web ${THREADS}t | max abs err |`,
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const cr of out) {
    const c = benchCases.find((x) => x.name === cr.name)!;
    const useful = 4 * c.Dk * casePairs(c);
    const single = one(cr, "ours-simd"), ort = one(cr, "ort-web-2");
    cr.rows.forEach((r, i) => {
      const x1 = single ? (single.ms / r.ms).toFixed(2) + "×" : "—";
      const xo = ort ? (ort.ms / r.ms).toFixed(2) + "×" : "—";
      lines.push(`| ${i === 0 ? cr.name : ""} | ${r.label} | ${r.ms.toFixed(2)} | ${(useful / (r.ms * 1e6)).toFixed(1)} | ${x1} | ${xo} | ${r.maxAbsError === null ? "—" : r.maxAbsError.toExponential(1)}${r.ok === false ? " ✗" : ""} |`);
    });
    for (const s of cr.skipped) lines.push(`| | ${s.id} | skipped: ${s.reason} | | | | |`);
  }
  lines.push("", "Targets (issue: pool ≥ 1.8× one thread, ≥ 1.5× onnxruntime-web with 2 threads):", "");
  for (const cr of out) {
    const pool = one(cr, "ours-pool"), single = one(cr, "ours-simd"), ort = one(cr, "ort-web-2");
    const a = pool && single ? single.ms / pool.ms : null, b = pool && ort ? ort.ms / pool.ms : null;
    lines.push(`- ${cr.name}: ${a === null ? "—" : `${a.toFixed(2)}× one thread ${a >= 1.8 ? "✓" : "✗"}`}; ${b === null ? "onnxruntime-web 2 threads did not run" : `${b.toFixed(2)}× onnxruntime-web ${THREADS} threads ${b >= 1.5 ? "✓" : "✗"}`}`);
  }
  const md = lines.join("\n");
  log("\n" + md);
  const dir = new URL("../../bench/results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("threads.json", dir), JSON.stringify({ date: new Date().toISOString(), machine, threads: THREADS, cases: out }, null, 2));
  writeFileSync(new URL("threads.md", dir), md + "\n");
  if (readme) {
    const url = new URL("../../README.md", import.meta.url);
    const text = readFileSync(url, "utf8");
    const A = "<!-- bench-threads:start -->", B = "<!-- bench-threads:end -->";
    const a = text.indexOf(A), b = text.indexOf(B);
    if (a >= 0 && b > a) writeFileSync(url, `${text.slice(0, a + A.length)}\n${md}\n${text.slice(b)}`);
    else log(`README.md has no ${A} … ${B} markers; table not inserted`);
  }
  process.exit(0); // onnxruntime-web's worker threads would keep the process alive
}

main().catch((e) => { console.error(e); process.exit(1); });
