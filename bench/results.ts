// The shape of bench/results/latest.json.
import type { MachineInfo, MachinePeaks } from "./machine.js";
import type { MemoryReading } from "./memory.js";

export interface ContenderResult {
  id: string;
  label: string;
  kind: "ours" | "js" | "onnxruntime" | "floor";
  /** Median ms per call (for a sample: scaled to the whole case by visible pairs). */
  ms: number;
  /** Interquartile range, ms (scaled like ms). */
  q1: number;
  q3: number;
  samples: number;
  callsPerSample: number;
  /** Useful GFLOP/s: 4·D flops per visible (query, key) pair. */
  gflops: number;
  /** gflops / the measured f32x4 mul+add peak. */
  pctPeak: number;
  /** This contender's time / the headline build's (simd) time: how many times faster ours is. */
  vsHeadline: number | null;
  maxAbsError: number | null;
  /** Whether maxAbsError is within the float32 error bound (null: no output to check). */
  ok: boolean | null;
  /** Rows computed when not all: the time is the sample's, scaled. */
  sample: { heads: number[]; blocks: [number, number][]; fraction: number } | null;
  memory: MemoryReading | string | null;
  note?: string;
}

export interface CaseResult {
  name: string;
  what: string;
  H: number; Hkv: number; Lq: number; Lkv: number; D: number;
  causal: boolean;
  kvCached?: number;
  /** "caches warm": a decode case run again without evicting the caches. */
  variant?: string;
  /** Bytes written to evict the CPU caches before every sample (decode), if any. */
  coldCache?: number;
  /** 4·B·Hq·Lq·Lkv·D (the count). */
  flops: number;
  /** 4·D per visible pair (equal to flops unless causal). */
  usefulFlops: number;
  /** "all rows", or the sample the reference computed. */
  checked: string;
  errorBound: number;
  referenceMs: number;
  results: ContenderResult[];
  skipped: { id: string; label: string; reason: string }[];
  seconds: number;
}

export interface Target {
  name: string;
  want: string;
  got: string;
  pass: boolean | null;
}

export interface Results {
  schema: 1;
  date: string;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  peaks: { mulAdd: number; fma: number | null; runs: MachinePeaks[] };
  cases: CaseResult[];
  overhead: CaseResult | null;
  targets: Target[];
  seconds: number;
}
