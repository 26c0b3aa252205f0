// What every contender in the benchmark provides. A peer turns a case's inputs into a
// prepared call (setup: sessions, caches, scratch, all outside the timing); the harness
// then times run() end to end, from Float32Array inputs to a Float32Array output.
import type { BenchCase } from "../../test/cases.js";
import type { Float32Tensor } from "../../src/types.js";

/** Query rows a peer computes when it runs on a sample (too slow to run whole). */
export interface RowSample {
  /** Query heads computed. */
  heads: number[];
  /** Row blocks [first, count] computed in each of those heads. */
  blocks: [number, number][];
}

export interface CaseInputs {
  c: BenchCase;
  /** q [1, Hq, Lq, D], k and v [1, Hkv, Lkv, D]: every key, the cached ones and the new one (decode). */
  q: Float32Tensor;
  k: Float32Tensor;
  v: Float32Tensor;
  /** Decode only: the cached part (the first kvCached keys) and the new token's key and value. */
  decode?: { kPast: Float32Tensor; vPast: Float32Tensor; kNew: Float32Tensor; vNew: Float32Tensor };
}

export interface Prepared {
  /** One call, end to end; returns the output [1, Hq, Lq, D] (rows outside a sample may be anything). */
  run(): Float32Array | Promise<Float32Array>;
  /** Called outside the timing before each timed call (switch the current build, rewind a cache). */
  before?(): void;
  /** Whether run() may be repeated back to back within one sample (false when before() must run between calls). */
  repeatable?: boolean;
  dispose?(): void | Promise<void>;
  /** The rows computed, when not all of them (the time is scaled to the whole case). */
  sample?: RowSample;
  /** Said next to the numbers (e.g. "whole cache handed in each call"). */
  note?: string;
}

export interface PrepareOptions {
  /** Compute only these rows (a peer too slow to run the whole case). */
  sample?: RowSample;
  /** Skip any trial call in setup (the memory probe measures the first call). */
  noTrial?: boolean;
}

export interface Peer {
  /** Stable id, used in results/latest.json and the memory child (e.g. "ours-simd"). */
  id: string;
  /** Shown in the table. */
  label: string;
  kind: "ours" | "js" | "onnxruntime" | "floor";
  /** Prepares a case, or says why it cannot run it (a string). */
  prepare(inputs: CaseInputs, options?: PrepareOptions): Promise<Prepared | string>;
}
