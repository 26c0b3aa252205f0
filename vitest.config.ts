import { defineConfig } from "vitest/config";

// Two Node projects: default flags (simd, scalar, js builds) and with relaxed SIMD
// switched on (Node 20 keeps it behind a flag), so every build runs the same tests.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      // --expose-gc: test/memory.test.ts measures the process after a collection.
      { test: { name: "node", include: ["test/**/*.test.ts"], pool: "forks", execArgv: ["--expose-gc"] } },
      {
        test: {
          name: "node-relaxed-simd",
          include: ["test/attention.test.ts", "test/onnx-conformance.test.ts", "test/kernels.test.ts", "test/errors.test.ts"],
          pool: "forks",
          execArgv: ["--experimental-wasm-relaxed-simd"],
          env: { WASM_ATTENTION_BUILDS: "relaxed-simd" },
        },
      },
    ],
  },
});
