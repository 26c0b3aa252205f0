// Where the Chromium for the browser tests is, how to launch it headless, and whether
// its absence is an error. Used by vitest.config.ts (the vitest browser-mode project)
// and by test/runtimes/bundlers.test.ts (playwright driving Chromium directly).
// Debian's package: apt-get install chromium (/usr/bin/chromium); CHROMIUM_PATH overrides.
// WASM_ATTENTION_REQUIRE_BROWSER=1 (set by .ci/run) turns "skipped" into a failure.
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
export const requireBrowser = process.env.WASM_ATTENTION_REQUIRE_BROWSER === "1";
export const BROWSER_SKIPPED = "browser tests SKIPPED: install chromium (apt-get install chromium) to run them";

// Headless as root in a container: no sandbox, no GPU, nothing phoning home. Playwright
// gives every launch a fresh temporary --user-data-dir.
export const chromiumLaunchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
  ],
};

/** Throws when the browser part is required but Chromium is missing; says so plainly when it is only skipped. */
export function browserAvailable(): boolean {
  if (haveChromium) return true;
  if (requireBrowser) {
    throw new Error(`browser tests are required (WASM_ATTENTION_REQUIRE_BROWSER=1) but there is no Chromium at ${CHROMIUM}: apt-get install chromium`);
  }
  return false;
}
