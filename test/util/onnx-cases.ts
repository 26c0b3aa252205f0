/// <reference types="vite/client" />
// The 76 official ONNX `Attention` backend cases, from ../shared/conformance/onnx-attention/cases
// (beside this repository, not copied into it). Loaded with Vite's import.meta.glob, which
// vitest resolves the same way in Node and in Chromium (there the files are served by
// vitest's Vite server; vitest.config.ts allows that folder), so one loader serves both.
// Where the folder is absent the glob is empty and the conformance tests skip.

export interface JsonTensor { dims: number[]; dtype: "float32" | "float16" | "bool" | "int64"; data: (number | string | boolean)[] }
export interface OnnxCase {
  name: string; opset: number; attributes: Record<string, number>;
  inputs: Record<string, JsonTensor>; outputs: Record<string, JsonTensor>;
}

/** Where the cases are expected, relative to the repository root (for messages). */
export const CASES_DIR = "../shared/conformance/onnx-attention/cases";

const modules = import.meta.glob<OnnxCase>("../../../shared/conformance/onnx-attention/cases/*.json", { eager: true, import: "default" });

/** The cases, sorted by file name. */
export const onnxCases: OnnxCase[] = Object.keys(modules).sort().map((k) => modules[k]!);
