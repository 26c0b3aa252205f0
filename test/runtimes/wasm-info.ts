// What a .wasm file imports, read from its bytes (WebAssembly.Module.imports needs a
// compiled module, and a build the engine lacks does not compile), and its sizes.
import { gzipSync } from "node:zlib";

export interface WasmImport { module: string; name: string; kind: number }

function leb(bytes: Uint8Array, at: { i: number }): number {
  let result = 0, shift = 0, byte: number;
  do { byte = bytes[at.i++]!; result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
  return result >>> 0;
}

/** The entries of the import section (id 2); kind 0 function, 1 table, 2 memory, 3 global. */
export function wasmImports(bytes: Uint8Array): WasmImport[] {
  const at = { i: 8 };
  const out: WasmImport[] = [];
  const name = () => { const n = leb(bytes, at); const s = new TextDecoder().decode(bytes.subarray(at.i, at.i + n)); at.i += n; return s; };
  while (at.i < bytes.length) {
    const id = bytes[at.i++]!;
    const size = leb(bytes, at);
    const end = at.i + size;
    if (id === 2) {
      const count = leb(bytes, at);
      for (let k = 0; k < count; k++) {
        const module = name(), field = name(), kind = bytes[at.i++]!;
        out.push({ module, name: field, kind });
        // Skip the descriptor: a type index, a table type, limits, or a global type.
        if (kind === 0) leb(bytes, at);
        else if (kind === 1) { at.i++; const f = bytes[at.i++]!; leb(bytes, at); if (f & 1) leb(bytes, at); }
        else if (kind === 2) { const f = bytes[at.i++]!; leb(bytes, at); if (f & 1) leb(bytes, at); }
        else at.i += 2;
      }
    }
    at.i = end;
  }
  return out;
}

export function sizes(bytes: Uint8Array): { raw: number; gzip: number } {
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
