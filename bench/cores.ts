// How fast each core is, now: the same attention() call timed in a child process pinned
// to one core at a time (Linux `taskset`). On the 2-vCPU VM this project is measured on,
// one vCPU was often much slower than the other for minutes at a time, and which one
// changed (a fixed integer loop: 16-29% slower in ten of twelve checks; bert-512 on one
// thread: 28.6-30.5 ms p25 on one vCPU against 19.4-19.6 ms on the other, three checks),
// which bounds what two threads can gain over one: see ceiling(). bench/README.md.
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";

/** The probe's call (attention() with the default build, in a fresh process). */
export const PROBE_SHAPE = "12 heads × 128 tokens × 64";

// Runs in the child: warm-up, then the median ms of 60 calls, printed.
const probe = (index: string) => `
const { attention, init } = await import(${JSON.stringify(index)});
await init();
const n = 12 * 128 * 64, dims = [1, 12, 128, 64];
const t = (s) => ({ data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * s)), dims });
const q = t(0.37), k = t(0.61), v = t(0.89);
for (let i = 0; i < 20; i++) attention(q, k, v);
const ms = [];
for (let i = 0; i < 60; i++) { const t0 = performance.now(); attention(q, k, v); ms.push(performance.now() - t0); }
ms.sort((a, b) => a - b);
console.log(ms[ms.length >> 1]);
`;

/**
 * Per core, the median ms per call of the probe pinned to that core (about a second per
 * core); null where cores cannot be pinned (not Linux, no taskset), a probe failed, or
 * there are more than `maxCores` cores.
 */
export function coreSpeeds(maxCores = 16): number[] | null {
  if (process.platform !== "linux" || cpus().length > maxCores) return null;
  const script = probe(new URL("../../dist/index.js", import.meta.url).href);
  const ms: number[] = [];
  for (let c = 0; c < cpus().length; c++) {
    const r = spawnSync("taskset", ["-c", String(c), process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    const x = Number(r.stdout?.trim());
    if (r.status !== 0 || !(x > 0)) return null;
    ms.push(x);
  }
  return ms;
}

/**
 * The most that `threads` threads can do over one thread on the fastest core: the sum of
 * the `threads` fastest cores' speeds (1 / ms) over the fastest's; 2 for two equal cores.
 */
export function ceiling(ms: readonly number[], threads: number): number {
  const fast = [...ms].sort((a, b) => a - b).slice(0, threads);
  return fast.reduce((s, x) => s + fast[0]! / x, 0);
}
