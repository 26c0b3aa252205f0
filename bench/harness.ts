// Timing: warm-up, then interleaved rounds (every contender takes one sample per round,
// in a rotating order, so a noisy moment of a shared machine hits all of them), medians.
// With `paired`, every contender takes a sample in every round, and the samples are kept
// in round order, so that two contenders can be compared round by round (pairedRatio).
// A sample is one call, or for calls under a millisecond a batch of back-to-back calls
// (time / count); with evictBytes, one call after the caches were flushed. Setup
// (prepare, before(), the eviction) is outside the timing.
import { median, quantile } from "./stats.js";
import type { Prepared } from "./peers/types.js";

export interface Contender {
  id: string;
  prepared: Prepared;
}

export interface Timing {
  /** Median ms per call. */
  ms: number;
  /** Interquartile range of the samples, ms per call. */
  q1: number;
  q3: number;
  samples: number;
  /** ms per call of each sample, in the order taken (with `paired`, sample r is round r's). */
  perSample: number[];
  callsPerSample: number;
  warmupCalls: number;
  /** The output of the last timed call. */
  output: Float32Array;
  /** Per sample, in order: HarnessOptions.probe's value (empty without a probe). */
  probed: number[];
}

export interface HarnessOptions {
  /** Time to spend sampling each contender (ms), within minSamples..maxSamples. */
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  /** Warm-up: at least this many calls and this long (V8 runs the first calls of a function in its baseline tier). */
  warmupCalls: number;
  warmupMs: number;
  /** Target duration of one sample (batches calls shorter than this). */
  sampleMs: number;
  /**
   * Evict the CPU caches before every sample (by writing this many bytes elsewhere), and
   * time single calls: the inputs then come from memory, not from the last call's cache.
   */
  evictBytes?: number;
  /**
   * Every contender takes as many samples as the one that wants the most (within
   * maxSamples), one per round, so round r's samples were taken within one round of each
   * other: see pairedRatio.
   */
  paired?: boolean;
  /**
   * Before each sample, wait (outside the timing, up to 250 ms) until this process has
   * used under a tenth of a core for 5 ms, so that work a contender's threads go on doing
   * after its call returns lands on no other contender's sample. onnxruntime-web with 2
   * threads keeps about one core busy for 30 ms after each call here, which slowed the
   * worker pool's samples that came right after it (gpt2-prefill: 28 ms median against
   * 24 ms after the other contenders, in one run). Node only (process.cpuUsage).
   */
  settle?: boolean;
  /**
   * Read just before and just after each sample (outside its timing); the sample's value
   * is after(before()), kept in Timing.probed. threads.ts uses it for the time this
   * process's threads spent waiting for a core.
   */
  probe?: { before(): unknown; after(start: unknown): number };
}

/** Waits until this process is (nearly) idle: see HarnessOptions.settle. */
async function settle(maxMs: number): Promise<void> {
  const cpuUsage = (globalThis as { process?: { cpuUsage?: (p?: { user: number; system: number }) => { user: number; system: number } } }).process?.cpuUsage;
  if (!cpuUsage) return;
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const u0 = cpuUsage(), w0 = performance.now();
    await new Promise((r) => setTimeout(r, 5));
    const u = cpuUsage(u0);
    if ((u.user + u.system) / 1000 < 0.1 * (performance.now() - w0)) return;
  }
}

let evictBuf: Float64Array | null = null;
let evictValue = 0;

/** Writes n bytes of an unrelated buffer, pushing everything else out of the caches. */
function evict(n: number): void {
  if (!evictBuf || evictBuf.byteLength !== n) evictBuf = new Float64Array(n / 8);
  evictBuf.fill(++evictValue);
}

const gc = (globalThis as { gc?: () => void }).gc;

async function call(p: Prepared): Promise<Float32Array> {
  const r = p.run();
  return r instanceof Promise ? await r : r;
}

async function timeOnce(p: Prepared, calls: number, evictBytes?: number): Promise<{ ms: number; out: Float32Array }> {
  p.before?.();
  if (evictBytes) evict(evictBytes);
  let out: Float32Array;
  const t0 = performance.now();
  let r = p.run();
  out = r instanceof Promise ? await r : r;
  for (let i = 1; i < calls; i++) {
    r = p.run();
    out = r instanceof Promise ? await r : r;
  }
  const ms = (performance.now() - t0) / calls;
  return { ms, out };
}

export async function timeContenders(
  contenders: Contender[], o: HarnessOptions, progress?: (msg: string) => void,
): Promise<Map<string, Timing>> {
  interface State { c: Contender; est: number; calls: number; want: number; samples: number[]; probed: number[]; warm: number; out: Float32Array }
  const states: State[] = [];
  for (const c of contenders) {
    // Warm-up, which also estimates the time per call (median of the later warm-up calls:
    // the first ones run in V8's baseline tier, and any one call may meet a collection).
    const t0 = performance.now();
    const times: number[] = [];
    let out: Float32Array = new Float32Array(0);
    while (times.length < o.warmupCalls || performance.now() - t0 < o.warmupMs) {
      const r = await timeOnce(c.prepared, 1, o.evictBytes);
      times.push(r.ms); out = r.out;
      // Slow calls: two are warm-up enough (the kernels inside are called many times per call,
      // so V8 has tiered them up by the second; earlier cases have usually done it already).
      if (times.length >= 2 && r.ms > o.warmupMs) break;
      if (times.length >= 5000) break;
    }
    const n = times.length;
    const last = median(times.slice(Math.floor(n / 2)));
    const calls = c.prepared.repeatable === false || o.evictBytes ? 1 : Math.max(1, Math.min(200, Math.round(o.sampleMs / Math.max(last, 1e-3))));
    // Calls of 10 s and more get 3 samples (the scalar build on long-32k would otherwise take minutes).
    const min = last > 10_000 ? Math.min(3, o.minSamples) : o.minSamples;
    const want = Math.max(min, Math.min(o.maxSamples, Math.round(o.budgetMs / Math.max(last * calls, 1e-3))));
    states.push({ c, est: last, calls, want, samples: [], probed: [], warm: n, out });
    progress?.(`warm ${c.id}: ${n} calls, ${last.toFixed(3)} ms; ${want} samples of ${calls}`);
  }
  if (o.paired) {
    const want = Math.max(...states.map((s) => s.want));
    for (const s of states) s.want = want;
  }
  for (let round = 0; states.some((s) => s.samples.length < s.want); round++) {
    for (let i = 0; i < states.length; i++) {
      const s = states[(i + round) % states.length]!;
      if (s.samples.length >= s.want) continue;
      if (o.settle) await settle(250);
      const p = o.probe?.before();
      const r = await timeOnce(s.c.prepared, s.calls, o.evictBytes);
      if (o.probe) s.probed.push(o.probe.after(p));
      s.samples.push(r.ms);
      s.out = r.out;
    }
    gc?.(); // between rounds, outside the timing
  }
  const res = new Map<string, Timing>();
  for (const s of states) {
    res.set(s.c.id, {
      ms: median(s.samples), q1: quantile(s.samples, 0.25), q3: quantile(s.samples, 0.75),
      samples: s.samples.length, perSample: s.samples, probed: s.probed, callsPerSample: s.calls, warmupCalls: s.warm, output: s.out,
    });
  }
  return res;
}

/**
 * How many times faster `b` ran than `a`, round by round (a's sample / b's sample of
 * the same round), and the median of those ratios. On a shared machine whose speed drifts
 * over seconds, both samples of a round meet the same moment, so this ratio is less
 * sensitive to the drift than the ratio of the two medians (the pool with
 * useCallingThread on bert-512, twelve threads-bench runs here: 1.43-1.85× against
 * 1.30-2.09×). Needs `paired` timings.
 */
export function pairedRatio(a: Pick<Timing, "perSample">, b: Pick<Timing, "perSample">): number {
  if (a.perSample.length !== b.perSample.length) throw new Error("pairedRatio: the timings were not taken in the same rounds (HarnessOptions.paired)");
  return median(a.perSample.map((x, r) => x / b.perSample[r]!));
}

export { call };
