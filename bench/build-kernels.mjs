// Compiles bench/kernels/peak.ts (the machine's f32x4 peak and streaming floor) into
// bench/build/ (gitignored), twice: simd and relaxed-simd (bench/kernels/asconfig.json).
// Run by `npm run build:bench`. The package's own builds (assembly/ → build/) are not touched.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, statSync } from "node:fs";

const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
mkdirSync("bench/build", { recursive: true });
for (const target of ["simd", "relaxed-simd"]) {
  execFileSync(process.execPath, [asc, "--config", "bench/kernels/asconfig.json", "--target", target], { stdio: "inherit" });
  console.log(`bench/build/peak-${target}.wasm  ${statSync(`bench/build/peak-${target}.wasm`).size} bytes`);
}
