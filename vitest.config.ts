import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { BROWSER_SKIPPED, browserAvailable, chromiumLaunchOptions } from "./test/util/chromium.js";

const root = fileURLToPath(new URL(".", import.meta.url));
const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Chromium (Debian's `chromium`) runs the core of the suite in browser mode; without it
// those tests are skipped with a plain message, unless WASM_ATTENTION_REQUIRE_BROWSER=1
// (.ci/run), where its absence fails the run.
const browser = browserAvailable();
if (!browser) console.warn(`\n${BROWSER_SKIPPED}\n`);

// Projects:
// - node: every test in test/ (default flags: builds simd, scalar, js);
// - node-relaxed-simd: the build tests again with relaxed SIMD switched on (Node 20 keeps
//   it behind a flag), so every build runs the same tests;
// - chromium: the same attention, ONNX conformance and kernel test files in headless
//   Chromium on all four builds (relaxed-simd, simd, scalar, js), importing the browser
//   entry (src/web.ts) wherever the tests import src/index.js, plus test/browser/;
// - runtimes: the package as published (npm pack) in workerd, Deno, Bun, and bundled by
//   esbuild and Vite into apps loaded in Chromium; exports, sizes (test/runtimes/).
// - demo: the demo page (demo/, `npm run demo`) in Chromium (test/demo/), after the rest.
// Headless Debian Chromium through playwright, for the browser projects (a fresh object
// each: vitest names the instances in place).
const chromiumBrowser = () => ({
  enabled: true,
  headless: true,
  provider: playwright({ launchOptions: chromiumLaunchOptions }),
  instances: [{ browser: "chromium" as const }],
  screenshotFailures: false,
});

// Every project `extends: true` so that it inherits the timeouts above (inline projects
// otherwise get vitest's 5 s default).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: browser ? ["default"] : ["default", { onTestRunEnd: () => console.warn(`\n${BROWSER_SKIPPED}\n`) }],
    projects: [
      // --expose-gc: test/memory.test.ts measures the process after a collection.
      {
        extends: true as const,
        test: {
          name: "node", include: ["test/**/*.test.ts"], exclude: ["test/browser/**", "test/runtimes/**", "test/demo/**", "**/node_modules/**"],
          pool: "forks", execArgv: ["--expose-gc"],
        },
      },
      {
        extends: true as const,
        test: {
          name: "node-relaxed-simd",
          include: ["test/attention.test.ts", "test/onnx-conformance.test.ts", "test/kernels.test.ts", "test/errors.test.ts"],
          pool: "forks",
          execArgv: ["--experimental-wasm-relaxed-simd"],
          env: { WASM_ATTENTION_BUILDS: "relaxed-simd" },
        },
      },
      ...(browser ? [{
        extends: true as const,
        resolve: {
          // The tests import the Node entry; in the browser they get the browser entry.
          alias: [{ find: /^(\.\.\/)+src\/index\.js$/, replacement: at("./src/web.ts") }],
        },
        // The ONNX cases live beside the repository (../shared); let the test server read them.
        server: { fs: { allow: [root, at("../shared/conformance/onnx-attention/cases")] } },
        test: {
          name: "chromium",
          include: ["test/attention.test.ts", "test/onnx-conformance.test.ts", "test/kernels.test.ts", "test/browser/**/*.test.ts"],
          env: { WASM_ATTENTION_BUILDS: "relaxed-simd,simd,scalar,js" },
          browser: chromiumBrowser(),
        },
      }] : []),
      ...(browser ? [{
        extends: true as const,
        // Cross-origin isolated (COOP/COEP), so SharedArrayBuffer exists and the worker pool runs threads.
        server: { headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } },
        test: {
          name: "chromium-isolated",
          include: ["test/browser/pool.test.ts"],
          browser: chromiumBrowser(),
        },
      }] : []),
      { extends: true, test: { name: "runtimes", include: ["test/runtimes/**/*.test.ts"], pool: "forks", globalSetup: ["test/runtimes/setup.ts"] } },
      // The demo page (demo/) in Chromium; after the other projects (group 1), so its
      // benchmark run does not compete with their timing-sensitive tests for the cores.
      { extends: true, test: { name: "demo", include: ["test/demo/**/*.test.ts"], pool: "forks", sequence: { groupOrder: 1 } } },
    ],
  },
});
