// The benchmark suite: every case of test/cases.ts benchCases against every peer, in one
// process, with the machine's limits measured in the same run.
//
//   node --experimental-wasm-relaxed-simd --expose-gc dist-bench/bench/run.js [--quick]
//        [--cases a,b] [--no-memory] [--no-readme]
//
// `npm start` runs the quick suite, `npm run bench` the full one. Both write
// bench/results/latest.{json,md,svg} and the table between the bench markers in README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { benchCases, type BenchCase } from "../test/cases.js";
import { caseInputs, casePairs, FULL_CHECK_PAIRS, maxAbsError, reference, samplePairs, sampleRows } from "./inputs.js";
import { timeContenders, type Contender, type HarnessOptions } from "./harness.js";
import { machineInfo, measurePeaks, type MachinePeaks } from "./machine.js";
import { measureInChild } from "./memory.js";
import { overheadCase } from "./overhead.js";
import { HEADLINE, peers } from "./peers/index.js";
import type { Peer, Prepared, RowSample } from "./peers/types.js";
import { evaluateTargets, markdown, svgChart, updateReadme } from "./report.js";
import type { CaseResult, ContenderResult, Results } from "./results.js";

interface Args { quick: boolean; cases: string[] | null; memory: boolean; readme: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, cases: null, memory: true, readme: true };
  for (const x of argv) {
    if (x === "--quick") a.quick = true;
    else if (x === "--no-memory") a.memory = false;
    else if (x === "--no-readme") a.readme = false;
    else if (x.startsWith("--cases=")) a.cases = x.slice(8).split(",");
    else throw new Error(`unknown argument ${x}; known: --quick --cases=a,b --no-memory --no-readme`);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const harness: HarnessOptions = args.quick
  ? { budgetMs: 800, minSamples: 3, maxSamples: 150, warmupCalls: 3, warmupMs: 250, sampleMs: 2 }
  : { budgetMs: 2500, minSamples: 7, maxSamples: 400, warmupCalls: 3, warmupMs: 400, sampleMs: 2 };
/** Decode cases: 128 MB written before each sample (more than any L3 here), single calls. */
const DECODE: Partial<HarnessOptions> = { evictBytes: 128 * 2 ** 20, maxSamples: args.quick ? 30 : 80 };
const log = (s: string) => process.stdout.write(s + "\n");
const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

/** Rows a peer computes: slow plain-JS peers run a sample of big cases (and the table says so). */
function sampleFor(peer: Peer, c: BenchCase): RowSample | undefined {
  const useful = 4 * c.Dk * casePairs(c);
  if (peer.id === "naive-js" && useful > 1e9) return sampleRows(c);
  if (peer.id === "tuned-js" && useful > 8e9) return sampleRows(c);
  return undefined;
}

function shape(c: BenchCase): string {
  const h = c.Hkv !== c.Hq ? `H=${c.Hq}/${c.Hkv}kv` : `H=${c.Hq}`;
  const l = c.kvCached !== undefined ? `Lq=1 Lkv=${c.Lkv}` : `L=${c.Lq}`;
  return `${h} ${l} D=${c.Dk}${c.causal && c.kvCached === undefined ? " causal" : ""}`;
}

/** warm: a decode case again without evicting the caches (the back-to-back microbenchmark view). */
async function runCase(c: BenchCase, index: string, warm = false): Promise<CaseResult> {
  const t0 = performance.now();
  const cold = c.kvCached !== undefined && !warm;
  log(`${index} ${c.name}${warm ? ", caches warm" : ""} (${shape(c)}): ${c.what}`);
  const inputs = caseInputs(c);
  const pairs = casePairs(c);
  const checkRows = pairs <= FULL_CHECK_PAIRS ? null : sampleRows(c);
  const ref = reference(inputs, checkRows);
  const contenders: (Contender & { peer: Peer; sample?: RowSample })[] = [];
  const skipped: CaseResult["skipped"] = [];
  for (const peer of peers) {
    const sample = sampleFor(peer, c);
    let p: Prepared | string;
    try {
      p = await peer.prepare(inputs, sample ? { sample } : {});
    } catch (e) {
      p = `setup failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (typeof p === "string") {
      if (p !== "only for decoding" && p !== "past/present form is for decoding") skipped.push({ id: peer.id, label: peer.label, reason: p });
      continue;
    }
    contenders.push(sample ? { id: peer.id, prepared: p, peer, sample } : { id: peer.id, prepared: p, peer });
  }
  // Decoding reads the whole K/V cache once per token and layer; in a model, the other
  // layers' caches pass through between two reads of this one, so every sample starts with
  // the CPU caches evicted (the floor too).
  const timings = await timeContenders(contenders, cold ? { ...harness, ...DECODE } : harness);
  const results: ContenderResult[] = [];
  for (const ct of contenders) {
    const t = timings.get(ct.id)!;
    const scale = ct.sample ? pairs / samplePairs(c, ct.sample) : 1;
    const ms = t.ms * scale;
    const floor = ct.peer.kind === "floor";
    const err = floor ? null : maxAbsError(c, t.output, ref, ct.sample);
    const r: ContenderResult = {
      id: ct.id, label: ct.peer.label, kind: ct.peer.kind, ms, q1: t.q1 * scale, q3: t.q3 * scale,
      samples: t.samples, callsPerSample: t.callsPerSample,
      gflops: floor ? 0 : (4 * c.Dk * pairs) / (ms * 1e6), pctPeak: 0, vsHeadline: null,
      maxAbsError: err, ok: err === null ? null : err <= ref.bound,
      sample: ct.sample ? { ...ct.sample, fraction: 1 / scale } : null, memory: null,
    };
    if (ct.prepared.note) r.note = ct.prepared.note;
    results.push(r);
    await ct.prepared.dispose?.();
  }
  const head = results.find((r) => r.id === HEADLINE);
  for (const r of results) r.vsHeadline = head ? r.ms / head.ms : null;
  const parts = results.filter((r) => r.id !== HEADLINE).map((r) => `${r.id} ${fmtMs(r.ms)}${r.vsHeadline ? ` (${r.vsHeadline.toFixed(2)}×)` : ""}`);
  const seconds = (performance.now() - t0) / 1000;
  log(`   simd ${head ? fmtMs(head.ms) : "—"} ms | ${parts.join(" | ")}${skipped.length ? ` | skipped: ${skipped.map((s) => s.id).join(", ")}` : ""}  [${seconds.toFixed(1)} s]`);
  const res: CaseResult = {
    name: c.name, what: c.what, H: c.Hq, Hkv: c.Hkv, Lq: c.Lq, Lkv: c.Lkv, D: c.Dk, causal: !!c.causal,
    flops: c.flops, usefulFlops: 4 * c.Dk * pairs,
    checked: checkRows ? `heads ${checkRows.heads.join(", ")}, rows ${checkRows.blocks.map(([a, n]) => `${a}..${a + n - 1}`).join(", ")}` : "all rows",
    errorBound: ref.bound, referenceMs: ref.ms, results, skipped, seconds,
  };
  if (cold) res.coldCache = DECODE.evictBytes!;
  if (warm) res.variant = "caches warm";
  if (c.kvCached !== undefined) res.kvCached = c.kvCached;
  return res;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const machine = machineInfo();
  const command = args.quick ? "npm start" : "npm run bench";
  log(`wasm-attention benchmark (${args.quick ? "quick" : "full"}): ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, flags ${machine.flags.join(" ") || "(none)"}`);
  if (!(globalThis as { gc?: unknown }).gc) log("note: run with --expose-gc for collections between rounds");
  const runs: MachinePeaks[] = [measurePeaks()];
  log(`peak: f32x4 mul+add ${runs[0]!.mulAdd.gflops.toFixed(1)} GFLOP/s, FMA ${runs[0]!.fma ? runs[0]!.fma.gflops.toFixed(1) : "n/a"} GFLOP/s`);
  const cases = benchCases.filter((c) => (args.cases ? args.cases.includes(c.name) : !args.quick || c.quick));
  if (args.cases) for (const n of args.cases) if (!benchCases.some((c) => c.name === n)) throw new Error(`unknown case ${n}`);
  const results: CaseResult[] = [];
  // The peaks again after every case: a shared machine's quiet moments vary, and a peak is
  // the best the machine did (the conservative choice for "% of peak").
  for (const [i, c] of cases.entries()) {
    results.push(await runCase(c, `[${i + 1}/${cases.length}]`));
    if (c.kvCached !== undefined) results.push(await runCase(c, `[${i + 1}/${cases.length}]`, true));
    runs.push(measurePeaks(5));
  }
  const overhead = await runCase(overheadCase, "[overhead]");
  runs.push(measurePeaks());
  const mulAdd = Math.max(...runs.map((r) => r.mulAdd.gflops));
  const fmaRuns = runs.map((r) => r.fma?.gflops ?? 0);
  const fma = Math.max(...fmaRuns) || null;
  log(`peak (best of ${runs.length} measurements): mul+add ${mulAdd.toFixed(1)} GFLOP/s, FMA ${fma ? fma.toFixed(1) : "n/a"} GFLOP/s`);
  for (const cr of [...results, overhead]) for (const r of cr.results) r.pctPeak = r.gflops / mulAdd;

  if (args.memory) {
    log("peak memory (one child process per case and implementation):");
    for (const cr of results) {
      if (cr.variant) continue; // the same calls as the case's main run
      const line: string[] = [];
      for (const r of cr.results) {
        if (r.kind === "floor" || r.sample || (r.kind === "ours" && r.id !== HEADLINE)) continue;
        if (args.quick && r.kind === "js") continue; // the quick suite measures the targets' rows only
        r.memory = measureInChild(cr.name, r.id);
        line.push(`${r.id} ${typeof r.memory === "string" ? r.memory : `${r.memory.rssMB.toFixed(1)} MB`}`);
      }
      log(`   ${cr.name}: ${line.join(" | ")}`);
    }
  }

  const res: Results = {
    schema: 1, date: new Date().toISOString(), command, quick: args.quick, machine,
    peaks: { mulAdd, fma, runs }, cases: results, overhead, targets: [], seconds: 0,
  };
  res.targets = evaluateTargets(res);
  res.seconds = (performance.now() - t0) / 1000;
  const md = markdown(res);
  const dir = new URL("../../bench/results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("latest.json", dir), JSON.stringify(res, null, 1) + "\n");
  writeFileSync(new URL("latest.md", dir), md);
  writeFileSync(new URL("latest.svg", dir), svgChart(res));
  if (args.readme) updateReadme(new URL("../../README.md", import.meta.url), md);
  log("\n" + md);
  log(`wrote bench/results/latest.json, latest.md, latest.svg${args.readme ? " and the README table" : ""} (${res.seconds.toFixed(0)} s)`);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
