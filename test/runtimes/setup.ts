// Global setup of the `runtimes` project: the package as a user gets it. `npm pack` (so
// package.json "files" and "exports" are what is tested), unpacked into
// <tmp>/app/node_modules/wasm-attention beside copies of test/fixtures/; every runtime
// and bundler test resolves "wasm-attention" from there, as an app would.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** <tmp>/app: package.json, node_modules/wasm-attention, and the fixtures. */
    appDir: string;
    /** The paths `npm pack` put in the tarball. */
    packedFiles: string[];
  }
}

const repo = fileURLToPath(new URL("../..", import.meta.url));

export default function setup(project: TestProject): () => void {
  const tmp = mkdtempSync(join(tmpdir(), "wasm-attention-runtimes-"));
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], { cwd: repo, encoding: "utf8" });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  const app = join(tmp, "app");
  const pkg = join(app, "node_modules", "wasm-attention");
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", join(tmp, info!.filename), "--strip-components=1", "-C", pkg]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module", dependencies: { "wasm-attention": "*" } }, null, 2));
  cpSync(join(repo, "test", "fixtures"), app, { recursive: true });
  project.provide("appDir", app);
  project.provide("packedFiles", info!.files.map((f) => f.path).sort());
  return () => rmSync(tmp, { recursive: true, force: true });
}
