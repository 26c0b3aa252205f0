// The one piece of module state: which build runs, and its wasm engine. init() and
// initSync() set it; every entry point reads it.
import type { Build } from "./types.js";
import type { WasmEngine } from "./abi.js";

export interface State {
  build: Build;
  engine: WasmEngine | null; // null for the 'js' build
}

export let current: State | null = null;

export function setState(s: State | null): void {
  current = s;
}

/** The state, or the Error every call before init() gets. */
export function requireState(fn: string): State {
  if (!current) {
    throw new Error(`${fn}: wasm-attention is not initialised: call \`await init()\` first (or initSync(module) in a worker)`);
  }
  return current;
}
