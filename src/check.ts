// Argument checks shared by every entry point. Each throws a TypeError (wrong kind of
// thing) or RangeError (right kind, wrong size or value) whose message names the
// argument, what was expected and what was given. Nothing here touches wasm memory.
import type { Tensor } from "./types.js";

/** A short description of a value for error messages: its constructor or typeof. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (Array.isArray(x)) return `an Array of length ${x.length}`;
  if (typeof x === "object") {
    const name = (x as object).constructor?.name;
    if (ArrayBuffer.isView(x)) return `${name} of length ${(x as unknown as ArrayLike<unknown>).length}`;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof x === "number") return `${x}`;
  if (typeof x === "string") return `string ${JSON.stringify(x)}`;
  if (typeof x === "bigint") return `bigint ${x}n`; // JSON.stringify throws on a bigint
  if (typeof x === "function") return `a function ${x.name || "(anonymous)"}`;
  return `${typeof x} ${String(x)}`; // boolean, symbol
}

export function shapeString(dims: readonly number[]): string {
  return `[${dims.join(", ")}]`;
}

/** The largest dimension the kernels take: they index with int32. */
export const MAX_DIM = 2 ** 31 - 1;

/** Checks `{ data, dims }` with integer dims in 0..MAX_DIM and data.length equal to their product. */
export function checkTensor(fn: string, name: string, t: unknown): Tensor {
  if (t === null || typeof t !== "object" || !("data" in t) || !("dims" in t)) {
    throw new TypeError(`${fn}: ${name} must be a tensor { data, dims }, got ${describe(t)}`);
  }
  const { data, dims } = t as Tensor;
  if (!Array.isArray(dims) && !(ArrayBuffer.isView(dims) && !(dims instanceof DataView))) {
    throw new TypeError(`${fn}: ${name}.dims must be an array of integers, got ${describe(dims)}`);
  }
  let n = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i] as number;
    if (typeof d !== "number") {
      throw new TypeError(`${fn}: ${name}.dims[${i}] must be an integer ≥ 0, got ${describe(d)}`);
    }
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      throw new RangeError(
        `${fn}: ${name}.dims[${i}] must be an integer ≥ 0 and < 2^31, got ${describe(d)} (dims ${shapeString(Array.from(dims, Number))})`,
      );
    }
    n *= d;
  }
  if (data === null || typeof data !== "object" || typeof (data as ArrayLike<unknown>).length !== "number") {
    throw new TypeError(`${fn}: ${name}.data must be a typed array, got ${describe(data)}`);
  }
  if (data.length !== n) {
    throw new RangeError(
      `${fn}: ${name}.data has ${data.length} elements but ${name}.dims ${shapeString(dims)} needs ${n}`,
    );
  }
  return t as Tensor;
}

export function checkFloat32(fn: string, name: string, t: Tensor): Float32Array {
  if (!(t.data instanceof Float32Array)) {
    throw new TypeError(`${fn}: ${name}.data must be a Float32Array, got ${describe(t.data)}`);
  }
  return t.data;
}

export function checkRank(fn: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.dims.length)) {
    const want = ranks.map((r) => `${r}`).join(" or ");
    throw new RangeError(`${fn}: ${name} must have rank ${want}, got rank ${t.dims.length} ${shapeString(t.dims)}`);
  }
}

export function checkInt(fn: string, name: string, x: unknown, min: number, max = Infinity): number {
  if (typeof x !== "number") throw new TypeError(`${fn}: ${name} must be an integer, got ${describe(x)}`);
  if (!Number.isInteger(x) || x < min || x > max) {
    const range = max === Infinity ? `≥ ${min}` : `in ${min}..${max}`;
    throw new RangeError(`${fn}: ${name} must be an integer ${range}, got ${x}`);
  }
  return x;
}

export function checkBool(fn: string, name: string, x: unknown): boolean {
  if (typeof x !== "boolean") throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(x)}`);
  return x;
}

/** Rejects option names outside `allowed`, suggesting the closest one (a typo such as `casual`). */
export function checkOptionNames(fn: string, what: string, opts: object, allowed: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (allowed.includes(key)) continue;
    const near = allowed.filter((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
    const hint = near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(" or ")}?)` : "";
    throw new TypeError(`${fn}: unknown ${what} '${key}'${hint}; known: ${allowed.join(", ")}`);
  }
}

function editDistance(a: string, b: string): number {
  // Damerau–Levenshtein (optimal string alignment): a swap of two letters counts 1.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
