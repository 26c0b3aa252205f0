// The machine's limits, measured in the same run: the f32x4 multiply+add and FMA peaks
// (GFLOP/s) and the time to stream a buffer once (the decode floor). Kernels:
// bench/kernels/peak.ts, built into bench/build/ by `npm run build:bench`.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { median } from "./stats.js";

interface PeakExports {
  memory: WebAssembly.Memory;
  peakRegs(n: number, tab: number): number;
  peakTile(n: number, tab: number): number;
  peakRegs12(n: number, tab: number): number;
  streamSum(p: number, bytes: number): number;
  heapBase(): number;
}

const root = new URL("../../", import.meta.url); // dist-bench/bench/ → repository root

function load(build: "simd" | "relaxed-simd"): PeakExports | null {
  const bytes = readFileSync(new URL(`bench/build/peak-${build}.wasm`, root));
  if (!WebAssembly.validate(bytes)) return null; // relaxed SIMD off in this engine
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as PeakExports;
}

/** Flops of one iteration of each peak kernel: accumulators × 4 lanes × 2 (multiply, add). */
const VARIANTS = { peakRegs: 8 * 4 * 2, peakTile: 8 * 4 * 2, peakRegs12: 12 * 4 * 2 } as const;

export interface PeakResult {
  /** GFLOP/s: the best of the kernel variants (a peak is a maximum), median over repetitions. */
  gflops: number;
  /** Each variant's median GFLOP/s. */
  variants: Record<string, number>;
}

function setupTable(x: PeakExports): number {
  const tab = (x.heapBase() + 63) & ~63;
  const f32 = new Float32Array(x.memory.buffer, tab, 512);
  // Values near 1 with tiny products, so the sums stay finite and normal (no denormal slow path).
  for (let i = 0; i < f32.length; i++) f32[i] = 1e-3 * (1 + (i % 7) / 8);
  return tab;
}

function peakOf(x: PeakExports, reps: number): PeakResult {
  const tab = setupTable(x);
  const variants: Record<string, number> = {};
  for (const name of Object.keys(VARIANTS) as (keyof typeof VARIANTS)[]) {
    const f = x[name].bind(x);
    // Calibrate: about 20 ms per call (after V8 has tiered the function up).
    let n = 1 << 16;
    for (let i = 0; i < 5; i++) f(n, tab);
    for (;;) {
      const t0 = performance.now();
      f(n, tab);
      const dt = performance.now() - t0;
      if (dt > 5 || n > 1 << 28) { n = Math.max(1, Math.round((n * 20) / Math.max(dt, 1e-3))); break; }
      n *= 4;
    }
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      f(n, tab);
      samples.push(performance.now() - t0);
    }
    variants[name] = (n * VARIANTS[name]) / (median(samples) * 1e6);
  }
  return { gflops: Math.max(...Object.values(variants)), variants };
}

export interface MachinePeaks {
  /** f32x4.mul + f32x4.add (the simd build's arithmetic). */
  mulAdd: PeakResult;
  /** f32x4.relaxed_madd (FMA); null where relaxed SIMD does not validate. */
  fma: PeakResult | null;
}

export function measurePeaks(reps = 9): MachinePeaks {
  const simd = load("simd");
  if (!simd) throw new Error("bench/build/peak-simd.wasm does not validate: this engine has no WebAssembly SIMD");
  const relaxed = load("relaxed-simd");
  return { mulAdd: peakOf(simd, reps), fma: relaxed ? peakOf(relaxed, reps) : null };
}

/** Streams a buffer of a given size once per call; reused across repetitions. */
export class Streamer {
  private x: PeakExports;
  private at: number;
  readonly bytes: number;

  constructor(bytes: number) {
    const x = load("simd");
    if (!x) throw new Error("bench/build/peak-simd.wasm does not validate");
    this.x = x;
    this.bytes = Math.ceil(bytes / 64) * 64;
    this.at = (x.heapBase() + 4095) & ~4095;
    const need = this.at + this.bytes - x.memory.buffer.byteLength;
    if (need > 0) x.memory.grow(Math.ceil(need / 65536));
    new Float32Array(x.memory.buffer, this.at, this.bytes / 4).fill(0.5);
  }

  /** One pass over the buffer; returns the sum so the work cannot be dropped. */
  run(): number {
    return this.x.streamSum(this.at, this.bytes);
  }
}

export interface MachineInfo {
  cpu: string;
  /** The CPU's vector extensions (from /proc/cpuinfo): what native code (onnxruntime-node) can use. */
  vector: string[];
  cores: number;
  node: string;
  v8: string;
  platform: string;
  flags: string[];
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? "unknown";
  let vector: string[] = [];
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const m = /model name\s*:\s*(.*)/.exec(info);
    if (m) cpu = m[1]!.trim();
    const flags = new Set((/flags\s*:\s*(.*)/.exec(info)?.[1] ?? "").split(/\s+/));
    vector = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((f) => flags.has(f));
  } catch { /* not Linux */ }
  return {
    cpu, vector, cores: cpus().length, node: process.version, v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`, flags: process.execArgv,
  };
}
