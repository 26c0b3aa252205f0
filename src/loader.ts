// init() / initSync(): compile and instantiate one of the builds, or pick the 'js'
// fallback. Feature detection is WebAssembly.validate on the real bytes (a build that
// uses an instruction the engine lacks does not validate), so no probe module is needed.
// The module imports nothing, so it instantiates with an empty import object anywhere.
import type { Build } from "./types.js";
import { WasmEngine } from "./abi.js";
import { current, setState } from "./state.js";
import { checkOptionNames, describe } from "./check.js";

export type WasmSource =
  | WebAssembly.Module
  | BufferSource
  | URL
  | Response
  | PromiseLike<WebAssembly.Module | BufferSource | URL | Response>;

export interface InitOptions {
  /** Force a build; rejected where the engine cannot run it. Default: the best one that validates. */
  build?: Build;
}

export interface InitResult {
  build: Build;
  /** What this engine validates. */
  simd: boolean;
  relaxedSimd: boolean;
}

export const BUILDS: readonly Build[] = ["relaxed-simd", "simd", "scalar", "js"];
export const WASM_BUILDS = ["relaxed-simd", "simd", "scalar"] as const;

/**
 * Loads a packaged build; supplied by each entry point: bytes (Node: the file beside it;
 * browsers: fetched) or an already compiled WebAssembly.Module (workerd imports the .wasm
 * as a module, since it compiles no bytes at run time; a module that loaded is one the
 * engine runs).
 */
export type BuildReader = (build: (typeof WASM_BUILDS)[number]) => Promise<BufferSource | WebAssembly.Module>;

/**
 * Loads a URL given as init()'s source; supplied by each entry point (Node also reads
 * file: URLs, which its fetch does not). null: the entry does no I/O (wasm-attention/core).
 */
export type UrlReader = (url: URL) => Promise<BufferSource | Response>;

// The smallest modules using one SIMD and one relaxed-SIMD instruction (in the spirit of
// wasm-feature-detect), for reporting what the engine supports:
//   (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
//   (module (func (result v128) i32.const 0 i8x16.splat i32x4.splat  i8x16.relaxed_swizzle))
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

function features(): { simd: boolean; relaxedSimd: boolean } {
  const ok = (b: Uint8Array<ArrayBuffer>) => typeof WebAssembly === "object" && WebAssembly.validate(b);
  return { simd: ok(SIMD_PROBE), relaxedSimd: ok(RELAXED_PROBE) };
}

function result(build: Build): InitResult {
  return { build, ...features() };
}

function checkInitOptions(fn: string, options: unknown): InitOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  checkOptionNames(fn, "option", options, ["build"]);
  const b = (options as InitOptions).build;
  if (b !== undefined && !BUILDS.includes(b)) {
    throw new TypeError(`${fn}: options.build must be one of ${BUILDS.map((x) => `'${x}'`).join(", ")}, got ${describe(b)}`);
  }
  return options as InitOptions;
}

function engineFromModule(fn: string, module: WebAssembly.Module, want: Build | undefined): WasmEngine {
  const instance = new WebAssembly.Instance(module, {});
  const engine = new WasmEngine(instance);
  if (want !== undefined && want !== engine.build) {
    throw new Error(`${fn}: the module given is the '${engine.build}' build, but options.build asks for '${want}'; pass that build's .wasm, or leave options.build out`);
  }
  return engine;
}

function isBufferSource(x: unknown): x is BufferSource {
  return x instanceof ArrayBuffer || ArrayBuffer.isView(x) ||
    (typeof SharedArrayBuffer !== "undefined" && x instanceof SharedArrayBuffer);
}

function cannotRun(fn: string, build: Build): Error {
  const hint = build === "relaxed-simd"
    ? " (relaxed SIMD is off in this engine; Node 20 needs --experimental-wasm-relaxed-simd)"
    : build === "simd" ? " (this engine has no WebAssembly SIMD)" : "";
  return new Error(`${fn}: this engine cannot run the '${build}' build: WebAssembly.validate rejected it${hint}`);
}

async function compileSource(fn: string, source: unknown, readUrl: UrlReader | null): Promise<WebAssembly.Module> {
  let s = await source;
  if (s instanceof WebAssembly.Module) return s;
  if (typeof URL !== "undefined" && s instanceof URL) {
    if (!readUrl) throw new TypeError(`${fn}: this entry does no I/O, so it does not load URLs; fetch ${s.href} yourself and pass the Response, the bytes or a WebAssembly.Module`);
    s = await readUrl(s);
  }
  if (typeof Response !== "undefined" && s instanceof Response) {
    if (!s.ok) throw new Error(`${fn}: fetching the .wasm failed: HTTP ${s.status} ${s.statusText} (${s.url})`);
    s = await s.arrayBuffer();
  }
  if (isBufferSource(s)) {
    if (!WebAssembly.validate(s)) {
      // Either not a wasm-attention build or one this engine cannot run: compile for the message.
      try { await WebAssembly.compile(s); } catch (e) { throw new Error(`${fn}: the given bytes do not compile here: ${(e as Error).message}`); }
    }
    return WebAssembly.compile(s);
  }
  throw new TypeError(`${fn}: source must be a WebAssembly.Module, bytes (ArrayBuffer or view), a URL or a Response, got ${describe(s)}`);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Shared by the entry points: `read` loads the package's own builds when no source is given.
 * Calls are serialised, so concurrent init() calls settle in order and agree.
 */
export function initWith(
  read: BuildReader | null, readUrl: UrlReader | null, source: unknown, options: unknown,
): Promise<InitResult> {
  const run = async (): Promise<InitResult> => {
    const fn = "init";
    const opts = checkInitOptions(fn, options);
    const want = opts.build;
    if (source === undefined || source === null) {
      if (current && (want === undefined || want === current.build)) return result(current.build);
      if (want === "js") { setState({ build: "js", engine: null }); return result("js"); }
      if (!read) throw new TypeError(`${fn}: this entry does no I/O; pass the .wasm as source (a WebAssembly.Module, bytes, URL or Response)`);
      const order = want === undefined ? WASM_BUILDS : [want as (typeof WASM_BUILDS)[number]];
      for (const b of order) {
        const got = await read(b);
        let module: WebAssembly.Module;
        if (got instanceof WebAssembly.Module) module = got;
        else if (WebAssembly.validate(got)) module = await WebAssembly.compile(got);
        else if (want !== undefined) throw cannotRun(fn, b);
        else continue;
        const engine = engineFromModule(fn, module, b);
        setState({ build: engine.build, engine });
        return result(engine.build);
      }
      setState({ build: "js", engine: null });
      return result("js");
    }
    if (want === "js") { setState({ build: "js", engine: null }); return result("js"); }
    const engine = engineFromModule(fn, await compileSource(fn, source, readUrl), want);
    setState({ build: engine.build, engine });
    return result(engine.build);
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

/** Synchronous init from a compiled module or bytes (workers, edge runtimes). */
export function initSync(moduleOrBytes: WebAssembly.Module | BufferSource, options?: InitOptions): InitResult {
  const fn = "initSync";
  const opts = checkInitOptions(fn, options);
  if (opts.build === "js") { setState({ build: "js", engine: null }); return result("js"); }
  let module: WebAssembly.Module;
  if (moduleOrBytes instanceof WebAssembly.Module) module = moduleOrBytes;
  else if (isBufferSource(moduleOrBytes)) {
    try { module = new WebAssembly.Module(moduleOrBytes); } catch (e) {
      throw new Error(`${fn}: the given bytes do not compile here: ${(e as Error).message}`);
    }
  } else {
    throw new TypeError(`${fn}: expected a WebAssembly.Module or bytes, got ${describe(moduleOrBytes)}`);
  }
  const engine = engineFromModule(fn, module, opts.build);
  setState({ build: engine.build, engine });
  return result(engine.build);
}
