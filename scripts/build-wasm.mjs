// Compiles the three builds of assembly/index.ts (asconfig.json targets) into build/.
// Run by `npm run build:wasm` (and so by `npm test` through pretest).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { statSync } from "node:fs";

const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
// simd-threads: the simd build over an imported shared memory, for the worker pool.
for (const target of ["relaxed-simd", "simd", "scalar", "simd-threads"]) {
  execFileSync(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", target], {
    stdio: "inherit",
  });
  console.log(`build/${target}.wasm  ${statSync(`build/${target}.wasm`).size} bytes`);
}
