// The threads benchmark: wasm-attention's worker pool (createAttentionPool, 2 threads)
// against attention() on one thread and onnxruntime-web with 2 threads, on the shapes the
// pool targets (bert-512, gpt2-prefill, long-4k), one call at a time and back to back;
// then small calls around the pool's threshold for keeping a call on the calling thread.
// A process of its own: onnxruntime-web fixes its thread count when its wasm backend
// first starts, so the 1-thread peers of bench/run.ts and its 2-thread run cannot share a
// process.
//
//   node --expose-gc dist-bench/bench/threads.js [--quick] [--no-readme] [--publish]
//
// Writes bench/results/threads.{json,md} and the table between the bench-threads markers
// in README.md; --publish only rewrites the tables from the last run's threads.json. `npm run bench` runs it after the main suite.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type * as Ort from "onnxruntime-web";
import { benchCases, makeInputs, type AttentionCase } from "../test/cases.js";
import { caseInputs, casePairs, maxAbsError, reference } from "./inputs.js";
import { pairedRatio, timeContenders, type Contender, type HarnessOptions, type Timing } from "./harness.js";
import { ceiling, coreSpeeds, PROBE_SHAPE } from "./cores.js";
import { machineInfo } from "./machine.js";
import { median } from "./stats.js";
import { oursPeer } from "./peers/ours.js";
import { ortPeer } from "./peers/onnxruntime.js";
import type { Peer } from "./peers/types.js";

const THREADS = 2;
const quick = process.argv.includes("--quick");
const readme = !process.argv.includes("--no-readme");
// Paired rounds: the × columns and the targets are medians of round-by-round ratios
// (harness.ts pairedRatio); the ms columns are each contender's median. Each sample
// starts once the process is idle (settle: onnxruntime-web's threads stay busy for a
// while after its calls).
const harness: HarnessOptions = quick
  ? { budgetMs: 1500, minSamples: 5, maxSamples: 60, warmupCalls: 3, warmupMs: 300, sampleMs: 2, paired: true, settle: true }
  : { budgetMs: 4000, minSamples: 9, maxSamples: 200, warmupCalls: 5, warmupMs: 600, sampleMs: 2, paired: true, settle: true };
const log = (s: string) => process.stdout.write(s + "\n");

/**
 * Run-queue wait (Linux): per thread of this process, the time it was ready to run but
 * waited for a core (the second field of /proc/self/task/<tid>/schedstat, ns).
 */
function runQueueWaits(): Map<string, number> {
  const m = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try { m.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[1])); } catch { /* the thread ended */ }
  }
  return m;
}

/**
 * The harness probe behind the "waited for a core" table: ms that this process's threads
 * together spent waiting for a core during a sample (threads started during the sample
 * count from zero, ended ones drop out). Off where schedstat is missing.
 */
const coreWait: HarnessOptions["probe"] = existsSync("/proc/self/task") && runQueueWaits().size > 0
  ? {
    before: runQueueWaits,
    after(start) {
      const a = start as Map<string, number>;
      let ns = 0;
      for (const [tid, w] of runQueueWaits()) ns += w - (a.get(tid) ?? 0);
      return ns / 1e6;
    },
  }
  : undefined;
/** A per-call sample whose threads waited at least this long (ms) for a core counts as having waited. */
const WAITED_MS = 1;

// The pool from the package as built (dist/): its workers and the simd-threads build are
// found beside that module, as in an installed package.
type Pkg = typeof import("../src/index.js");
const pkg = () => import(new URL("../../dist/index.js", import.meta.url).href) as Promise<Pkg>;

// The pool as created by default (THREADS workers, the calling thread free while they
// run), and with useCallingThread: true (the calling thread takes units beside
// THREADS - 1 workers). The targets are read from the default.
const poolPeer = (useCallingThread: boolean): Peer => ({
  id: useCallingThread ? "ours-pool-caller" : "ours-pool",
  label: useCallingThread
    ? `wasm-attention pool (useCallingThread: the calling thread + ${THREADS - 1} worker)`
    : `wasm-attention pool (${THREADS} threads: ${THREADS} workers)`,
  kind: "ours",
  async prepare({ c, q, k, v }) {
    const { createAttentionPool } = await pkg();
    const pool = await createAttentionPool({ threads: THREADS, useCallingThread });
    if (pool.threads !== THREADS) { await pool.close(); return `the pool has ${pool.threads} threads here`; }
    const opts = c.causal ? { causal: true } : {};
    return { run: async () => (await pool.attention(q, k, v, opts)).data, dispose: () => pool.close() };
  },
});

const ortWeb2 = ortPeer({
  id: "ort-web-2", label: `onnxruntime-web (${THREADS} threads)`, form: "whole",
  load: async () => {
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = THREADS;
    ort.env.logLevel = "error";
    // No spinning: after a run, onnxruntime's pool threads otherwise busy-wait for more
    // work, and on 2 cores that ate into whichever contender the interleaved rounds ran
    // next (the pool's bert-512 time was bimodal, 13 or 21 ms, until this was set). A
    // one-node model has no gap between ops for spinning to bridge. Its threads still
    // keep about one core busy for 30 ms after each call (with or without this option),
    // which the harness's settle waits out.
    const options = {
      executionProviders: ["wasm"], graphOptimizationLevel: "all",
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    } as Ort.InferenceSession.SessionOptions;
    return { ort, options };
  },
});

const peers: Peer[] = [oursPeer("simd"), poolPeer(false), poolPeer(true), ortWeb2];
const CASES = ["bert-512", "gpt2-prefill", "long-4k"];

// Two passes over the same contenders. "per call": a sample is one call, the contenders
// taking turns, so every call of a multi-threaded contender starts with its threads idle
// (their cores asleep since its previous call). "back to back": a sample is a batch of
// calls lasting at least 150 ms, as in a service working through a stream of requests,
// so only a batch's first call starts cold. The targets are read from the per-call pass.
const PASSES = [
  { key: "call", suffix: "", options: { ...harness, probe: coreWait } },
  { key: "stream", suffix: ", calls back to back", options: { ...harness, sampleMs: 150 } },
] as const;
type Pass = (typeof PASSES)[number]["key"];

interface Row { id: string; pass: Pass; label: string; ms: number; samples: number; callsPerSample: number; maxAbsError: number | null; ok: boolean | null; q1: number; q3: number; perSample: number[]; probed?: number[] }
/** cores: coreSpeeds() just before the case's passes and just after (ms per probe call, per core). */
interface CaseRow { name: string; rows: Row[]; skipped: { id: string; reason: string }[]; cores?: { before: number[]; after: number[] } }

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
    const rows: Row[] = [];
    const before = coreSpeeds();
    for (const pass of PASSES) {
      const timings = await timeContenders(contenders, pass.options);
      for (const ct of contenders) {
        const t = timings.get(ct.id)!;
        const err = maxAbsError(c, t.output, ref, undefined);
        rows.push({ id: ct.id, pass: pass.key, label: ct.peer.label + pass.suffix, ms: t.ms, samples: t.samples, callsPerSample: t.callsPerSample, maxAbsError: err, ok: err <= ref.bound, q1: t.q1, q3: t.q3, perSample: t.perSample, probed: t.probed });
      }
      log(`${name} (${pass.key}): ${rows.filter((r) => r.pass === pass.key).map((r) => `${r.id} ${r.ms.toFixed(2)} ms`).join(" | ")}${skipped.length ? ` | skipped ${skipped.map((x) => `${x.id} (${x.reason})`).join(", ")}` : ""}`);
    }
    for (const ct of contenders) await ct.prepared.dispose?.();
    const after = coreSpeeds();
    out.push({ name, rows, skipped, ...(before && after ? { cores: { before, after } } : {}) });
    if (before && after) log(`${name}: cores, ms per probe call, before ${before.map((x) => x.toFixed(2)).join(" / ")}, after ${after.map((x) => x.toFixed(2)).join(" / ")}`);
  }

  // Calls around the pool's poolMinMacs threshold (src/tuning.ts): one thread against both
  // kinds of pool made to share every call (poolMinMacs 0), in samples of ≥ 2 ms; once with
  // the samples one after another, once each after an idle spell (settle: ≥ 5 ms with the
  // process idle, long enough for this VM to halt the idle core, which then takes a while
  // to wake).
  const { setTuning, DEFAULT_TUNING } = await import(new URL("../../dist/tuning.js", import.meta.url).href) as typeof import("../src/tuning.js");
  const { createAttentionPool } = await pkg();
  setTuning({ poolMinMacs: 0 });
  const small: Small[] = [];
  const forced = await createAttentionPool({ threads: THREADS });
  const forcedCaller = await createAttentionPool({ threads: THREADS, useCallingThread: true });
  for (const idle of [false, true]) for (const [H, L] of [[12, 64], [12, 96], [12, 128], [12, 192]] as const) {
    const c: AttentionCase = { name: `${H} heads × ${L} tokens × 64`, B: 1, Hq: H, Hkv: H, Lq: L, Lkv: L, Dk: 64, Dv: 64, layout: "4d" };
    const x = makeInputs(c);
    const single = await oursPeer("simd").prepare({ c: c as never, q: x.q, k: x.k, v: x.v });
    if (typeof single === "string") throw new Error(single);
    const t = await timeContenders([
      { id: "single", prepared: single },
      { id: "pool", prepared: { run: async () => (await forced.attention(x.q, x.k, x.v)).data } },
      { id: "caller", prepared: { run: async () => (await forcedCaller.attention(x.q, x.k, x.v)).data } },
    ], { ...harness, settle: idle });
    const [one1, pool, caller] = ["single", "pool", "caller"].map((id) => t.get(id)!) as [Timing, Timing, Timing];
    small.push({
      name: c.name, macs: H * L * L * 128, idle, single: one1.ms,
      pool: pool.ms, poolRatio: pairedRatio(one1, pool), caller: caller.ms, callerRatio: pairedRatio(one1, caller),
    });
    log(`small${idle ? " after idle" : ""}: ${c.name}: one thread ${one1.ms.toFixed(3)} ms | pool ${pool.ms.toFixed(3)} ms | with the calling thread ${caller.ms.toFixed(3)} ms`);
  }
  await forced.close();
  await forcedCaller.close();
  setTuning(DEFAULT_TUNING);

  const result: Results = {
    date: new Date().toISOString(), machine, threads: THREADS, seconds: (performance.now() - t0) / 1000,
    poolMinMacs: DEFAULT_TUNING.poolMinMacs, cases: out, small,
  };
  const dir = new URL("../../bench/results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("threads.json", dir), JSON.stringify(result, null, 2));
  publish(result);
  process.exit(0); // onnxruntime-web's worker threads would keep the process alive
}

interface Small { name: string; macs: number; idle: boolean; single: number; pool: number; poolRatio: number; caller: number; callerRatio: number }
interface Results {
  date: string; machine: ReturnType<typeof machineInfo>; threads: number; seconds: number; poolMinMacs: number;
  cases: CaseRow[]; small: Small[];
}

/** Writes bench/results/threads.md and the README table from a run's results. */
function publish(result: Results): void {
  const { machine, cases: out, small } = result;
  const THREADS = result.threads;
  const one = (cr: CaseRow, id: string, pass: Pass) => cr.rows.find((r) => r.id === id && r.pass === pass);
  const lines = [
    `Measured ${result.date.slice(0, 10)} with \`npm run bench:threads\` (the threads part of \`npm run bench\`, ${result.seconds.toFixed(0)} s) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}. ms: median per call, end to end, interleaved samples: one call each in turn, then batches of calls back to back (≥ 150 ms), where a multi-threaded contender's threads are awake for all but the first call of a batch. × and vs compare rows of the same pass: every contender took one sample in each round, and the figure is the median over the rounds of the ratio of the two samples (the ratio of the two ms medians is given for the targets too). "ms, middle half" spans the samples' 25th to 75th percentiles: how much the machine moved during the pass. GFLOP/s counts 4·D flops per visible (query, key) pair.`,
    "",
    `| case | implementation | ms | ms, middle half | GFLOP/s | × one thread | vs onnxruntime-web ${THREADS}t | max abs err |`,
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const cr of out) {
    const c = benchCases.find((x) => x.name === cr.name)!;
    const useful = 4 * c.Dk * casePairs(c);
    cr.rows.forEach((r, i) => {
      const single = one(cr, "ours-simd", r.pass), ort = one(cr, "ort-web-2", r.pass);
      const x1 = single ? pairedRatio(single, r).toFixed(2) + "×" : "—";
      const xo = ort ? pairedRatio(ort, r).toFixed(2) + "×" : "—";
      lines.push(`| ${i === 0 ? cr.name : ""} | ${r.label} | ${r.ms.toFixed(2)} | ${r.q1.toFixed(1)}-${r.q3.toFixed(1)} | ${(useful / (r.ms * 1e6)).toFixed(1)} | ${x1} | ${xo} | ${r.maxAbsError === null ? "—" : r.maxAbsError.toExponential(1)}${r.ok === false ? " ✗" : ""} |`);
    });
    for (const s of cr.skipped) lines.push(`| | ${s.id} | skipped: ${s.reason} | | | | | |`);
  }
  lines.push("", "Targets (issue: pool ≥ 1.8× one thread, ≥ 1.5× onnxruntime-web with 2 threads), for the pool as created by default; per call, back to back in brackets:", "");
  for (const cr of out) {
    const ratio = (pass: Pass, id: string) => {
      const pool = one(cr, "ours-pool", pass), other = one(cr, id, pass);
      return pool && other ? { paired: pairedRatio(other, pool), medians: other.ms / pool.ms } : null;
    };
    const target = (id: string, want: number, what: string) => {
      const a = ratio("call", id), b = ratio("stream", id);
      if (a === null) return `${what} did not run`;
      // Cut, not rounded, to 3 decimals: 1.7996 is "1.799× ✗", not "1.800× ✗".
      const d = (x: number) => (Math.floor(x * 1000) / 1000).toFixed(3);
      return `${d(a.paired)}× ${what} ${a.paired >= want ? "✓" : "✗"}${b === null ? "" : ` (${d(b.paired)}×)`}, ratio of medians ${d(a.medians)}×${b === null ? "" : ` (${d(b.medians)}×)`}`;
    };
    lines.push(`- ${cr.name}: ${target("ours-simd", 1.8, "one thread")}; ${target("ort-web-2", 1.5, `onnxruntime-web ${THREADS} threads`)}`);
  }
  const checked = out.filter((cr) => cr.cores);
  if (checked.length) {
    lines.push("", `How fast each core was (attention() on ${PROBE_SHAPE} in a process pinned to one core at a time with taskset, median ms per call; just before each case and just after), and the most ${THREADS} threads could then gain over one thread on the fastest core (the sum of the ${THREADS} fastest cores' speeds over the fastest's; ${THREADS} for equal cores):`, "");
    for (const cr of checked) {
      const { before, after } = cr.cores!;
      const f = (ms: number[]) => ms.map((x, i) => `core ${i} ${x.toFixed(2)}`).join(", ");
      lines.push(`- ${cr.name}: before ${f(before)} (at most ${ceiling(before, THREADS).toFixed(2)}×); after ${f(after)} (at most ${ceiling(after, THREADS).toFixed(2)}×)`);
    }
  }
  const waited = out.flatMap((cr) => cr.rows.filter((r) => r.pass === "call" && r.probed?.length === r.samples).map((r) => ({ cr, r })));
  if (waited.length) {
    lines.push("", `Waiting for a core, per-call pass: samples in which this process's threads together spent ≥ ${WAITED_MS} ms ready to run but waiting for a core (Linux schedstat), and the median ms of those samples and of the others. On this 2-vCPU VM a thread woken while the other vCPU is halted is mostly queued behind a running one until the scheduler's next tick (4 ms at HZ=250) moves it (bench/README.md).`, "",
      "| case | implementation | samples that waited | ms, those | ms, the others |", "|---|---|---:|---:|---:|");
    for (const { cr, r } of waited) {
      const hit = r.perSample.filter((_, i) => r.probed![i]! >= WAITED_MS), rest = r.perSample.filter((_, i) => r.probed![i]! < WAITED_MS);
      lines.push(`| ${cr.name} | ${r.label} | ${hit.length} of ${r.samples} | ${hit.length ? median(hit).toFixed(2) : "—"} | ${rest.length ? median(rest).toFixed(2) : "—"} |`);
    }
  }
  lines.push("", `Small calls (the pool runs calls under ${(result.poolMinMacs / 1e6).toFixed(0)} million multiply-adds, B·Hq·Lq·Lkv·(Dk + Dv), on the calling thread alone; here both kinds of pool are made to share them between their ${THREADS} threads), with the samples one after another, then each after an idle spell of ≥ 5 ms:`, "",
    `| shape | multiply-adds | samples | one thread ms | pool (default) ms | × one thread | pool, useCallingThread, ms | × one thread |`, "|---|---:|---|---:|---:|---:|---:|---:|");
  for (const r of small) lines.push(`| ${r.name} | ${(r.macs / 1e6).toFixed(1)}M | ${r.idle ? "after idle" : "one after another"} | ${r.single.toFixed(3)} | ${r.pool.toFixed(3)} | ${r.poolRatio.toFixed(2)}× | ${r.caller.toFixed(3)} | ${r.callerRatio.toFixed(2)}× |`);
  const md = lines.join("\n");
  log("\n" + md);
  writeFileSync(new URL("../../bench/results/threads.md", import.meta.url), md + "\n");
  if (readme) {
    const url = new URL("../../README.md", import.meta.url);
    const text = readFileSync(url, "utf8");
    const A = "<!-- bench-threads:start -->", B = "<!-- bench-threads:end -->";
    const a = text.indexOf(A), b = text.indexOf(B);
    if (a >= 0 && b > a) writeFileSync(url, `${text.slice(0, a + A.length)}\n${md}\n${text.slice(b)}`);
    else log(`README.md has no ${A} … ${B} markers; table not inserted`);
  }
}

if (process.argv.includes("--publish")) {
  // Tables only, from the last run's bench/results/threads.json (after a change of format).
  publish(JSON.parse(readFileSync(new URL("../../bench/results/threads.json", import.meta.url), "utf8")) as Results);
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
