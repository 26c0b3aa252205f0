// `import m from "….wasm"` in the workerd entry: a compiled WebAssembly.Module (wrangler's
// and miniflare's CompiledWasm modules).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
