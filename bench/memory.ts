// Peak memory of one call, measured in a fresh process per (case, peer) so that no other
// contender's heap is in the reading: after setup (inputs, session / engine / cache) and
// a garbage collection, the kernel's peak-RSS mark is reset (/proc/self/clear_refs 5),
// the first call runs, and the growth is VmHWM − VmRSS before the call. The output's own
// bytes are subtracted ("beyond inputs and output"). Linux only; elsewhere it says so.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface MemoryReading {
  /** Peak RSS growth during the first call, minus the output's bytes (MB, 10^6 bytes). */
  rssMB: number;
  /** Growth of wasm-attention's linear memory during the call (MB, 10^6 bytes), ours only. */
  wasmMB?: number;
  outputMB: number;
}

function statusKiB(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s*(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]);
}

/** Child side: resets the peak mark, runs fn once, returns the growth in bytes. */
export async function measureCall(fn: () => Promise<unknown>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.(); gc?.();
  const before = statusKiB("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5"); // VmHWM := current RSS
  await fn();
  return (statusKiB("VmHWM") - before) * 1024;
}

/** Parent side: runs bench/memory-child.js for one (case, peer); null with a reason on failure. */
export function measureInChild(caseName: string, peerId: string, timeoutMs = 180_000): MemoryReading | string {
  if (process.platform !== "linux") return "peak RSS is read from /proc (Linux only)";
  const child = fileURLToPath(new URL("./memory-child.js", import.meta.url));
  const r = spawnSync(process.execPath, [...process.execArgv, child, caseName, peerId], { encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 20 });
  if (r.error) return `child failed: ${r.error.message}`;
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line) as MemoryReading | { error: string };
    if ("error" in j) return j.error;
    return j;
  } catch {
    return `child exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0]?.slice(0, 200) ?? ""}`;
  }
}
