// The in-browser benchmark, in a Web Worker so the page stays responsive and its
// repaints do not land inside a timing. For each case: the suite's inputs
// (test/cases.ts makeInputs), wasm-attention's attention() on the page's build, and
// the suite's naive plain-JS loop (bench/peers/naive-js.ts), timed by the suite's
// harness (bench/harness.ts: warm-up, interleaved samples, medians) with a smaller budget.
import { init, attention } from "../src/web.js";
import { benchCases, makeInputs } from "../test/cases.js";
import { naiveJs } from "../bench/peers/naive-js.js";
import { timeContenders, type HarnessOptions } from "../bench/harness.js";
import type { Prepared } from "../bench/peers/types.js";
import type { Build } from "../src/types.js";

export interface Measured { ms: number; q1: number; q3: number; samples: number; gflops: number }

export interface CaseResult {
  name: string;
  shape: string;
  flops: number;
  build: Build;
  ours: Measured;
  naive: Measured;
  /** Largest |ours − naive| over the output. */
  maxDiff: number;
}

export type ToWorker = { type: "run"; build: Build; cases: string[] };
export type FromWorker =
  | { type: "progress"; text: string }
  | { type: "case"; result: CaseResult }
  | { type: "done" }
  | { type: "error"; message: string };

const OPTIONS: HarnessOptions = { budgetMs: 400, minSamples: 5, maxSamples: 30, warmupCalls: 3, warmupMs: 150, sampleMs: 10 };

const post = (m: FromWorker) => postMessage(m);

async function runCase(name: string, build: Build): Promise<CaseResult> {
  const c = benchCases.find((b) => b.name === name);
  if (!c || c.kvCached !== undefined) throw new Error(`no such prefill bench case: ${name}`);
  const { q, k, v } = makeInputs(c);
  const opts = c.causal ? { causal: true } : {};
  const ours: Prepared = { run: () => attention(q, k, v, opts).data };
  const naive = await naiveJs.prepare({ c, q, k, v });
  if (typeof naive === "string") throw new Error(naive);
  const t = await timeContenders([{ id: "ours", prepared: ours }, { id: "naive", prepared: naive }], OPTIONS,
    (m) => post({ type: "progress", text: `${name}: ${m.replace(/^warm (\w+)/, (_, id: string) => `warmed up ${id === "ours" ? build : "naive JS"}`)}` }));
  const measured = (id: string): Measured => {
    const r = t.get(id)!;
    return { ms: r.ms, q1: r.q1, q3: r.q3, samples: r.samples, gflops: c.flops / (r.ms * 1e6) };
  };
  const a = t.get("ours")!.output, b = t.get("naive")!.output;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  return {
    name, shape: `H ${c.Hq}, L ${c.Lq}, D ${c.Dk}${c.causal ? ", causal" : ""}`, flops: c.flops, build,
    ours: measured("ours"), naive: measured("naive"), maxDiff,
  };
}

onmessage = async (e: MessageEvent<ToWorker>) => {
  try {
    const { build } = await init(undefined, { build: e.data.build });
    for (const name of e.data.cases) {
      post({ type: "progress", text: `${name}: running…` });
      post({ type: "case", result: await runCase(name, build) });
    }
    post({ type: "done" });
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
