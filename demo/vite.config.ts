// `npm run demo`: the Vite dev server for demo/ (open the URL it prints). The page
// imports the library from source (../src/web.ts) and the benchmark's cases and naive
// peer from test/ and bench/, so the server may read the whole repository; the .wasm
// builds come from build/ (made here first with `npm run build:wasm` if missing). Nothing
// is fetched from the network: no CDN, no web fonts.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const repo = fileURLToPath(new URL("..", import.meta.url));
const builds = ["relaxed-simd", "simd", "scalar"].map((b) => fileURLToPath(new URL(`../build/${b}.wasm`, import.meta.url)));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Its own cache, apart from the one vitest's browser mode keeps for the repository.
  cacheDir: fileURLToPath(new URL("../node_modules/.vite-demo", import.meta.url)),
  server: { fs: { allow: [repo] } },
  build: { outDir: fileURLToPath(new URL("../dist-demo", import.meta.url)), emptyOutDir: true, target: "es2022" },
  worker: { format: "es" },
  plugins: [{
    name: "wasm-attention-builds",
    configResolved(config) {
      if (builds.every((f) => existsSync(f))) return;
      config.logger.info("build/*.wasm missing: running npm run build:wasm first");
      execFileSync("npm", ["run", "build:wasm"], { cwd: repo, stdio: "inherit" });
    },
  }],
});
