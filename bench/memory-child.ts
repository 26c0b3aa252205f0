// One memory reading (bench/memory.ts): node memory-child.js <case> <peer id>.
// Prints one JSON line: { rssMB, wasmMB?, outputMB } or { error }.
import { benchCases } from "../test/cases.js";
import { caseInputs } from "./inputs.js";
import { peers } from "./peers/index.js";
import { engineOf, wasmBytes, type WasmBuildName } from "./peers/ours.js";
import { measureCall } from "./memory.js";
import { overheadCase } from "./overhead.js";

const MB = 1e6;

async function main(): Promise<void> {
  const [caseName, peerId] = process.argv.slice(2);
  const c = caseName === overheadCase.name ? overheadCase : benchCases.find((x) => x.name === caseName);
  const peer = peers.find((p) => p.id === peerId);
  if (!c || !peer) throw new Error(`unknown case ${caseName} or peer ${peerId}`);
  const inputs = caseInputs(c);
  const p = await peer.prepare(inputs, { noTrial: true });
  if (typeof p === "string") throw new Error(p);
  p.before?.();
  const build = peer.kind === "ours" ? (peer.id.replace(/^ours-/, "") as WasmBuildName) : null;
  const state = build ? await engineOf(build) : null;
  const wasm0 = state && typeof state !== "string" ? wasmBytes(state) : 0;
  let out: Float32Array = new Float32Array(0);
  const grew = await measureCall(async () => {
    const r = p.run();
    out = r instanceof Promise ? await r : r;
  });
  const reading: Record<string, number> = { rssMB: (grew - out.byteLength) / MB, outputMB: out.byteLength / MB };
  if (state && typeof state !== "string") reading["wasmMB"] = (wasmBytes(state) - wasm0) / MB;
  await p.dispose?.();
  console.log(JSON.stringify(reading));
}

main().then(() => process.exit(0), (e: unknown) => {
  console.log(JSON.stringify({ error: e instanceof Error ? e.message.split("\n")[0] : String(e) }));
  process.exit(0);
});
