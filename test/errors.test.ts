// Bad input (DESIGN.md §2 and §7): every argument of init(), attention() and
// onnxAttention() is checked before wasm memory is touched, and each kind of bad input
// gets a TypeError or RangeError whose message names the argument, what was expected
// and what was given; a call before init() gets an Error saying to `await init()`.
//
// Each kind is one row of a table: the call, the error class, and patterns the message
// must match (the argument's name, the expected and the given value or shape). After
// every rejected call the wasm linear memory must be byte-for-byte what it was (so its
// size did not change either), and a valid call must still agree with the float64
// reference within 1e-5. Covered:
//   - attention() tensors: not a tensor, Float64Array / number[] / Uint16Array data,
//     data length ≠ product of dims, negative / fractional / NaN / ∞ / non-number /
//     ≥ 2^31 dims, wrong rank, q/k/v rank, batch, head, Dk and length mismatches,
//     Hq not a multiple of Hkv, zero heads or head sizes;
//   - attention() options: not an object, unknown names (`casual` → "causal"),
//     numHeads/numKvHeads (3D and 4D), scale, softcap, causal, causalOffset, mask
//     (data type, length, broadcast, rank 5), keyLengths (type, length, range), out
//     (type, size), returnLse/returnWeights;
//   - requests larger than wasm32's 4 GiB (weights, output, and a sum of parts), built
//     from inputs of a few MB, on every wasm build;
//   - init()/initSync(): unknown option, bad build name, bad source, wrong module for
//     the build asked for, a build the engine cannot run (relaxed SIMD on Node 20);
//   - onnxAttention(): unknown inputs/attributes/options, 3D without head counts,
//     past_key without past_value, nonpad_kv_seqlen in opset 23 or out of range, mask
//     key axis longer than T, bad attribute values, bad opset.
// The attention() and onnxAttention() tables run on every build this engine runs; the
// attention() table also runs on attentionReference() (same checks, no init needed).
import { beforeAll, describe, expect, it, vi } from "vitest";
import { attention, attentionReference, init, initSync, onnxAttention } from "../src/index.js";
import { current } from "../src/state.js";
import { runnableBuilds, useBuild } from "./util/builds.js";
import { Rng } from "./util/rng.js";
import type { Build } from "../src/types.js";
import { readFileSync } from "node:fs";

/** Casts a deliberately wrong argument past the type checker. */
const bad = (x: unknown): any => x;

type ErrorClass = typeof Error | typeof TypeError | typeof RangeError;
type AttentionFn = typeof attention;

interface Case<F> {
  name: string;
  call: (f: F) => unknown;
  error: ErrorClass;
  /** Each must match the message: the argument's name, what was expected, what was given. */
  message: RegExp[];
}

// ---------------------------------------------------------------------------------------
// Inputs. B = 2, Hq = 4, Hkv = 2 (GQA), Lq = 5, Lkv = 7, Dk = 8, Dv = 6.

const rng = new Rng(0xe1105);
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const T = (dims: number[]) => ({ data: rng.uniform(size(dims), -1, 1), dims });
/** A tensor of the given data and dims, whether they agree or not. */
const withData = <D extends ArrayLike<number | bigint>>(data: D, dims: number[]) => ({ data, dims });

const q = T([2, 4, 5, 8]), k = T([2, 2, 7, 8]), v = T([2, 2, 7, 6]);
const q3 = T([2, 5, 32]), k3 = T([2, 7, 16]), v3 = T([2, 7, 12]);
const heads3 = { numHeads: 4, numKvHeads: 2 };
/** An additive mask broadcast over heads and query rows. */
const addMask = { data: rng.uniform(2 * 7, -1, 0), dims: [2, 1, 1, 7] };
const validOptions = { causal: true, mask: addMask, keyLengths: [7, 4], returnLse: true };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A valid call still gives the right answer (4D with every option, and 3D). */
function expectValidCallWorks(): void {
  const got = attention(q, k, v, validOptions), want = attentionReference(q, k, v, validOptions);
  expect(got.dims).toEqual([2, 4, 5, 6]);
  expect(maxDiff(got.data, want.data)).toBeLessThanOrEqual(1e-5);
  expect(maxDiff(got.lse!.data, want.lse!.data)).toBeLessThanOrEqual(1e-5);
  const got3 = attention(q3, k3, v3, heads3), want3 = attentionReference(q3, k3, v3, heads3);
  expect(got3.dims).toEqual([2, 5, 24]);
  expect(maxDiff(got3.data, want3.data)).toBeLessThanOrEqual(1e-5);
}

/** The error `call` throws (failing if it returns). */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to throw, but it returned");
}

function expectError(e: unknown, error: ErrorClass, fn: string, message: RegExp[]): void {
  expect(e).toBeInstanceOf(Error);
  const err = e as Error;
  expect(err.constructor, `${err.constructor.name}: ${err.message}`).toBe(error);
  expect(err.message.startsWith(`${fn}: `), err.message).toBe(true);
  for (const re of message) expect(err.message).toMatch(re);
}

/** The wasm linear memory right now (null on the 'js' build). */
function memory(): WebAssembly.Memory | null {
  return current?.engine?.exports.memory ?? null;
}

/**
 * Runs a rejected call and checks that it left wasm memory exactly as it was (no growth,
 * no byte written) and that a valid call still gives the right answer.
 */
function expectRejectedUntouched(call: () => unknown, error: ErrorClass, fn: string, message: RegExp[]): void {
  const mem = memory();
  const bytes = mem ? mem.buffer.byteLength : 0;
  const before = mem ? new Uint8Array(mem.buffer).slice() : null;
  expectError(thrown(call), error, fn, message);
  if (mem && before) {
    expect(mem.buffer.byteLength).toBe(bytes);
    expect(Buffer.compare(new Uint8Array(mem.buffer), before), "wasm memory changed").toBe(0);
  }
  expectValidCallWorks();
}

// ---------------------------------------------------------------------------------------
// attention() cases.

const tensorCases: Case<AttentionFn>[] = [
  { name: "q is not a tensor (missing data)", call: (f) => f(bad({ dims: [2, 4, 5, 8] }), k, v),
    error: TypeError, message: [/\bq must be a tensor \{ data, dims \}/, /got an object/] },
  { name: "k is not a tensor (missing dims)", call: (f) => f(q, bad({ data: k.data }), v),
    error: TypeError, message: [/\bk must be a tensor \{ data, dims \}/, /got an object/] },
  { name: "v is a bare Float32Array", call: (f) => f(q, k, bad(v.data)),
    error: TypeError, message: [/\bv must be a tensor \{ data, dims \}/, /got Float32Array of length 168/] },
  { name: "q is null", call: (f) => f(bad(null), k, v),
    error: TypeError, message: [/\bq must be a tensor/, /got null/] },
  { name: "q.data is a Float64Array", call: (f) => f(bad(withData(Float64Array.from(q.data), q.dims)), k, v),
    error: TypeError, message: [/q\.data/, /must be a Float32Array/, /got Float64Array of length 320/] },
  { name: "v.data is a plain number[]", call: (f) => f(q, k, bad(withData(Array.from(v.data), v.dims))),
    error: TypeError, message: [/v\.data/, /must be a Float32Array/, /got an Array of length 168/] },
  { name: "k.data is a Uint16Array (float16 bits)", call: (f) => f(q, bad(withData(new Uint16Array(112 * 2), k.dims)), v),
    error: TypeError, message: [/k\.data/, /must be a Float32Array/, /got Uint16Array of length 224/] },
  { name: "k.data is not array-like", call: (f) => f(q, bad({ data: 5, dims: [2, 2, 7, 8] }), v),
    error: TypeError, message: [/k\.data/, /typed array/, /got 5/] },
  { name: "q.data one element short", call: (f) => f(withData(q.data.subarray(1), q.dims), k, v),
    error: RangeError, message: [/q\.data has 319 elements/, /q\.dims \[2, 4, 5, 8\] needs 320/] },
  { name: "v.data one element long", call: (f) => f(q, k, withData(new Float32Array(169), v.dims)),
    error: RangeError, message: [/v\.data has 169 elements/, /v\.dims \[2, 2, 7, 6\] needs 168/] },
  { name: "q.dims is not an array", call: (f) => f(bad({ data: q.data, dims: "2,4,5,8" }), k, v),
    error: TypeError, message: [/q\.dims/, /array of integers/, /got string "2,4,5,8"/] },
  { name: "q.dims negative", call: (f) => f(withData(q.data, [2, -4, 5, -8]), k, v),
    error: RangeError, message: [/q\.dims\[1\]/, /integer ≥ 0/, /got -4/] },
  { name: "k.dims fractional", call: (f) => f(q, withData(k.data, [2, 2, 3.5, 16]), v),
    error: RangeError, message: [/k\.dims\[2\]/, /integer ≥ 0/, /got 3\.5/] },
  { name: "v.dims NaN", call: (f) => f(q, k, withData(v.data, [2, 2, 7, NaN])),
    error: RangeError, message: [/v\.dims\[3\]/, /integer ≥ 0/, /got NaN/] },
  { name: "q.dims Infinity", call: (f) => f(withData(q.data, [2, 4, Infinity, 8]), k, v),
    error: RangeError, message: [/q\.dims\[2\]/, /integer ≥ 0/, /got Infinity/] },
  { name: "q.dims holds a string", call: (f) => f(bad(withData(q.data, bad([2, 4, 5, "8"]))), k, v),
    error: TypeError, message: [/q\.dims\[3\]/, /integer ≥ 0/, /got string "8"/] },
  { name: "q.dims[0] ≥ 2^31 (empty tensors, huge batch)", call: (f) => f(withData(new Float32Array(0), [2 ** 40, 1, 0, 1]), withData(new Float32Array(0), [2 ** 40, 1, 0, 1]), withData(new Float32Array(0), [2 ** 40, 1, 0, 1])),
    error: RangeError, message: [/q\.dims\[0\]/, /< 2\^31/, /got 1099511627776/] },
  { name: "q rank 2", call: (f) => f(withData(q.data, [40, 8]), k, v),
    error: RangeError, message: [/\bq must have rank 3 or 4/, /got rank 2 \[40, 8\]/] },
  { name: "q rank 5", call: (f) => f(withData(q.data, [1, 2, 4, 5, 8]), k, v),
    error: RangeError, message: [/\bq must have rank 3 or 4/, /got rank 5 \[1, 2, 4, 5, 8\]/] },
  { name: "k rank 3 with q rank 4", call: (f) => f(q, withData(k.data, [2, 7, 16]), v),
    error: RangeError, message: [/\bk must have the same rank as q \(4\)/, /got \[2, 7, 16\]/] },
  { name: "v rank 4 with q rank 3", call: (f) => f(q3, k3, v, heads3),
    error: RangeError, message: [/\bv must have the same rank as q \(3\)/, /got \[2, 2, 7, 6\]/] },
  { name: "k batch ≠ q batch", call: (f) => f(q, T([3, 2, 7, 8]), T([3, 2, 7, 6])),
    error: RangeError, message: [/\bk batch \(dims\[0\]\)/, /q's 2/, /got k \[3, 2, 7, 8\]/] },
  { name: "v batch ≠ q batch (3D)", call: (f) => f(q3, k3, T([1, 7, 12]), heads3),
    error: RangeError, message: [/\bv batch \(dims\[0\]\)/, /q's 2/, /got v \[1, 7, 12\]/] },
  { name: "k head size ≠ q head size", call: (f) => f(q, T([2, 2, 7, 4]), v),
    error: RangeError, message: [/\bk head size \(dims\[3\]\)/, /q's 8/, /got k \[2, 2, 7, 4\]/] },
  { name: "v length ≠ k length (4D)", call: (f) => f(q, k, T([2, 2, 6, 6])),
    error: RangeError, message: [/\bv length \(dims\[2\]\)/, /k's 7/, /got v \[2, 2, 6, 6\]/] },
  { name: "v length ≠ k length (3D)", call: (f) => f(q3, k3, T([2, 8, 12]), heads3),
    error: RangeError, message: [/\bv length \(dims\[1\]\)/, /k's 7/, /got v \[2, 8, 12\]/] },
  { name: "v heads ≠ k heads", call: (f) => f(q, k, T([2, 1, 7, 6])),
    error: RangeError, message: [/\bv heads \(dims\[1\]\)/, /k's 2/, /got v \[2, 1, 7, 6\]/] },
  { name: "Hq not a multiple of Hkv (4D)", call: (f) => f(T([2, 3, 5, 8]), k, v),
    error: RangeError, message: [/query heads 3 must be a multiple of key\/value heads 2/, /q \[2, 3, 5, 8\] has 3 heads/, /k \[2, 2, 7, 8\] has 2/] },
  { name: "Hq not a multiple of Hkv (3D)", call: (f) => f(T([2, 5, 24]), k3, v3, { numHeads: 3, numKvHeads: 2 }),
    error: RangeError, message: [/must be a multiple of/, /numHeads is 3/, /numKvHeads is 2/] },
  { name: "k with zero heads", call: (f) => f(q, T([2, 0, 7, 8]), T([2, 0, 7, 6])),
    error: RangeError, message: [/head counts must be ≥ 1/, /Hkv = 0/, /k \[2, 0, 7, 8\]/] },
  { name: "head size Dk = 0", call: (f) => f(T([2, 4, 5, 0]), T([2, 2, 7, 0]), v),
    error: RangeError, message: [/head size Dk must be ≥ 1/, /got 0/, /q \[2, 4, 5, 0\]/] },
  { name: "value head size Dv = 0", call: (f) => f(q, k, T([2, 2, 7, 0])),
    error: RangeError, message: [/value head size Dv must be ≥ 1/, /got 0/, /v \[2, 2, 7, 0\]/] },
];

const optionCases: Case<AttentionFn>[] = [
  { name: "options is a number", call: (f) => f(q, k, v, bad(5)),
    error: TypeError, message: [/options must be an object/, /got 5/] },
  { name: "options is a string", call: (f) => f(q, k, v, bad("causal")),
    error: TypeError, message: [/options must be an object/, /got string "causal"/] },
  { name: "options is an array", call: (f) => f(q, k, v, bad([])),
    error: TypeError, message: [/options must be an object/, /got an Array of length 0/] },
  { name: "options is a function", call: (f) => f(q, k, v, bad(() => 1)),
    error: TypeError, message: [/options must be an object/, /got a function/] },
  { name: "unknown option `casual`", call: (f) => f(q, k, v, bad({ casual: true })),
    error: TypeError, message: [/unknown option 'casual'/, /did you mean 'causal'\?/, /known: numHeads, .*causal/] },
  { name: "unknown option `numHead`", call: (f) => f(q3, k3, v3, bad({ numHead: 4 })),
    error: TypeError, message: [/unknown option 'numHead'/, /did you mean 'numHeads'/] },
  { name: "unknown option `keyLength`", call: (f) => f(q, k, v, bad({ keyLength: [7, 7] })),
    error: TypeError, message: [/unknown option 'keyLength'/, /did you mean 'keyLengths'/] },
  { name: "unknown option with no near name", call: (f) => f(q, k, v, bad({ dropout: 0.1 })),
    error: TypeError, message: [/unknown option 'dropout'; known: numHeads/] },
  { name: "4D numHeads ≠ q heads", call: (f) => f(q, k, v, { numHeads: 2 }),
    error: RangeError, message: [/numHeads is 2/, /q \[2, 4, 5, 8\] has 4 heads/] },
  { name: "4D numKvHeads ≠ k heads", call: (f) => f(q, k, v, { numKvHeads: 1 }),
    error: RangeError, message: [/numKvHeads is 1/, /k \[2, 2, 7, 8\] has 2 heads/] },
  { name: "4D numHeads not a number", call: (f) => f(q, k, v, bad({ numHeads: "4" })),
    error: TypeError, message: [/numHeads must be an integer/, /got string "4"/] },
  { name: "3D without numHeads", call: (f) => f(q3, k3, v3),
    error: TypeError, message: [/3D q \[2, 5, 32\]/, /options\.numHeads is required/] },
  { name: "3D numHeads 0", call: (f) => f(q3, k3, v3, { numHeads: 0 }),
    error: RangeError, message: [/numHeads must be an integer ≥ 1/, /got 0/] },
  { name: "3D numHeads fractional", call: (f) => f(q3, k3, v3, { numHeads: 2.5 }),
    error: RangeError, message: [/numHeads must be an integer ≥ 1/, /got 2\.5/] },
  { name: "3D numHeads a string", call: (f) => f(q3, k3, v3, bad({ numHeads: "4" })),
    error: TypeError, message: [/numHeads must be an integer/, /got string "4"/] },
  { name: "3D numHeads does not divide q's hidden size", call: (f) => f(q3, k3, v3, { numHeads: 5 }),
    error: RangeError, message: [/q hidden size 32 \(dims\[2\]\)/, /not a multiple of numHeads 5/] },
  { name: "3D numKvHeads gives the wrong k hidden size", call: (f) => f(q3, k3, v3, { numHeads: 4, numKvHeads: 4 }),
    error: RangeError, message: [/k hidden size \(dims\[2\]\)/, /numKvHeads·Dk = 4·8 = 32/, /got k \[2, 7, 16\]/] },
  { name: "3D numKvHeads does not divide v's hidden size", call: (f) => f(q3, k3, T([2, 7, 13]), heads3),
    error: RangeError, message: [/v hidden size 13 \(dims\[2\]\)/, /not a multiple of numKvHeads 2/] },
  { name: "3D numKvHeads NaN", call: (f) => f(q3, k3, v3, { numHeads: 4, numKvHeads: NaN }),
    error: RangeError, message: [/numKvHeads must be an integer ≥ 1/, /got NaN/] },
  { name: "scale NaN", call: (f) => f(q, k, v, { scale: NaN }),
    error: RangeError, message: [/scale must be finite/, /got NaN/] },
  { name: "scale Infinity", call: (f) => f(q, k, v, { scale: Infinity }),
    error: RangeError, message: [/scale must be finite/, /got Infinity/] },
  { name: "scale a string", call: (f) => f(q, k, v, bad({ scale: "0.5" })),
    error: TypeError, message: [/scale must be a number/, /got string "0\.5"/] },
  { name: "scale a bigint", call: (f) => f(q, k, v, bad({ scale: 1n })),
    error: TypeError, message: [/scale must be a number/, /got bigint 1n/] },
  { name: "softcap negative", call: (f) => f(q, k, v, { softcap: -1 }),
    error: RangeError, message: [/softcap must be a finite number ≥ 0/, /got -1/] },
  { name: "softcap Infinity", call: (f) => f(q, k, v, { softcap: Infinity }),
    error: RangeError, message: [/softcap must be a finite number ≥ 0/, /got Infinity/] },
  { name: "softcap NaN", call: (f) => f(q, k, v, { softcap: NaN }),
    error: RangeError, message: [/softcap must be a finite number ≥ 0/, /got NaN/] },
  { name: "causal is 1", call: (f) => f(q, k, v, bad({ causal: 1 })),
    error: TypeError, message: [/causal must be a boolean/, /got 1/] },
  { name: "causal is 'true'", call: (f) => f(q, k, v, bad({ causal: "true" })),
    error: TypeError, message: [/causal must be a boolean/, /got string "true"/] },
  { name: "causalOffset without causal", call: (f) => f(q, k, v, { causalOffset: 0 }),
    error: TypeError, message: [/causalOffset is given but causal is not true/, /causal is undefined/] },
  { name: "causalOffset with causal: false", call: (f) => f(q, k, v, { causal: false, causalOffset: 0 }),
    error: TypeError, message: [/causalOffset is given but causal is not true/, /causal is boolean false/] },
  { name: "causalOffset fractional", call: (f) => f(q, k, v, { causal: true, causalOffset: 1.5 }),
    error: RangeError, message: [/causalOffset must be an integer/, /got 1\.5/] },
  { name: "mask data is an Int32Array", call: (f) => f(q, k, v, bad({ mask: withData(new Int32Array(35), [5, 7]) })),
    error: TypeError, message: [/mask\.data must be a Uint8Array \(bool, 1 = attend\) or a Float32Array/, /got Int32Array of length 35/] },
  { name: "mask data is a Float64Array", call: (f) => f(q, k, v, bad({ mask: withData(new Float64Array(35), [5, 7]) })),
    error: TypeError, message: [/mask\.data must be a Uint8Array/, /got Float64Array of length 35/] },
  { name: "mask is a bare Uint8Array", call: (f) => f(q, k, v, bad({ mask: new Uint8Array(35) })),
    error: TypeError, message: [/mask must be a tensor \{ data, dims \}/, /got Uint8Array of length 35/] },
  { name: "mask data length ≠ dims", call: (f) => f(q, k, v, { mask: withData(new Uint8Array(34), [5, 7]) as never }),
    error: RangeError, message: [/mask\.data has 34 elements/, /mask\.dims \[5, 7\] needs 35/] },
  { name: "mask key axis does not broadcast", call: (f) => f(q, k, v, { mask: withData(new Uint8Array(30), [5, 6]) as never }),
    error: RangeError, message: [/mask \[5, 6\] does not broadcast to \[B, Hq, Lq, Lkv\] = \[2, 4, 5, 7\]/, /key axis is 6, expected 7 or 1/] },
  { name: "mask batch axis does not broadcast", call: (f) => f(q, k, v, { mask: withData(new Float32Array(21), [3, 1, 1, 7]) as never }),
    error: RangeError, message: [/mask \[3, 1, 1, 7\] does not broadcast/, /batch axis is 3, expected 2 or 1/] },
  { name: "mask heads axis is Hkv, not Hq", call: (f) => f(q, k, v, { mask: withData(new Uint8Array(2 * 35), [2, 5, 7]) as never }),
    error: RangeError, message: [/mask \[2, 5, 7\] does not broadcast/, /heads axis is 2, expected 4 or 1/] },
  { name: "mask rank 5", call: (f) => f(q, k, v, { mask: withData(new Uint8Array(280), [1, 2, 4, 5, 7]) as never }),
    error: RangeError, message: [/mask must have rank ≤ 4/, /\[2, 4, 5, 7\]/, /got \[1, 2, 4, 5, 7\]/] },
  { name: "keyLengths of the wrong length", call: (f) => f(q, k, v, { keyLengths: [7] }),
    error: RangeError, message: [/keyLengths must have one entry per batch \(2\)/, /got 1/] },
  { name: "keyLengths Int32Array of the wrong length", call: (f) => f(q, k, v, { keyLengths: new Int32Array(3) }),
    error: RangeError, message: [/keyLengths must have one entry per batch \(2\)/, /got 3/] },
  { name: "keyLengths negative", call: (f) => f(q, k, v, { keyLengths: [-1, 7] }),
    error: RangeError, message: [/keyLengths\[0\] must be an integer in 0\.\.7/, /got -1/] },
  { name: "keyLengths > Lkv", call: (f) => f(q, k, v, { keyLengths: new Int32Array([7, 8]) }),
    error: RangeError, message: [/keyLengths\[1\] must be an integer in 0\.\.7/, /got 8/] },
  { name: "keyLengths fractional", call: (f) => f(q, k, v, { keyLengths: [2.5, 7] }),
    error: RangeError, message: [/keyLengths\[0\] must be an integer in 0\.\.7/, /got 2\.5/] },
  { name: "keyLengths NaN", call: (f) => f(q, k, v, { keyLengths: [7, NaN] }),
    error: RangeError, message: [/keyLengths\[1\] must be an integer in 0\.\.7/, /got NaN/] },
  { name: "keyLengths holds a bigint", call: (f) => f(q, k, v, bad({ keyLengths: [7n, 7n] })),
    error: TypeError, message: [/keyLengths\[0\] must be an integer/, /got bigint 7n/] },
  { name: "keyLengths a Float32Array", call: (f) => f(q, k, v, bad({ keyLengths: new Float32Array([7, 7]) })),
    error: TypeError, message: [/keyLengths must be an Int32Array or number\[\] of length 2/, /got Float32Array of length 2/] },
  { name: "keyLengths a number", call: (f) => f(q, k, v, bad({ keyLengths: 7 })),
    error: TypeError, message: [/keyLengths must be an Int32Array or number\[\]/, /got 7/] },
  { name: "out too small", call: (f) => f(q, k, v, { out: new Float32Array(239) }),
    error: RangeError, message: [/out has 239 elements/, /the output \[2, 4, 5, 6\] needs 240/] },
  { name: "out too small (3D)", call: (f) => f(q3, k3, v3, { ...heads3, out: new Float32Array(10) }),
    error: RangeError, message: [/out has 10 elements/, /the output \[2, 5, 24\] needs 240/] },
  { name: "out a Float64Array", call: (f) => f(q, k, v, bad({ out: new Float64Array(240) })),
    error: TypeError, message: [/out must be a Float32Array/, /got Float64Array of length 240/] },
  { name: "out a number[]", call: (f) => f(q, k, v, bad({ out: new Array(240).fill(0) })),
    error: TypeError, message: [/out must be a Float32Array/, /got an Array of length 240/] },
  { name: "returnLse not a boolean", call: (f) => f(q, k, v, bad({ returnLse: "yes" })),
    error: TypeError, message: [/returnLse must be a boolean/, /got string "yes"/] },
  { name: "returnWeights not a boolean", call: (f) => f(q, k, v, bad({ returnWeights: 1 })),
    error: TypeError, message: [/returnWeights must be a boolean/, /got 1/] },
];

const attentionCases = [...tensorCases, ...optionCases];

// Requests larger than wasm32 memory, from inputs of a few MB (nothing is computed).
// Weights B·Hq·Lq·Lkv: q, k, v of 64 Ki rows of Dk = Dv = 1 ask for 16 GiB of weights.
const long = (L: number, D = 1) => ({ data: new Float32Array(L * D), dims: [1, 1, L, D] });
// Output B·Hq·Lq·Dv: GQA broadcasts one kv head of Dv = 2^19 to 4096 query rows: 8 GiB.
// Neither part over 4 GiB alone: 16 query heads × 64 Ki rows (q 4 MiB) against 768 keys
// of Dv = 384 give 3 GiB of weights + 1.5 GiB of output.
const bigCases: Case<AttentionFn>[] = [
  { name: "returnWeights of 16 GiB", call: (f) => f(long(65536), long(65536), long(65536), { returnWeights: true }),
    error: RangeError, message: [/needs 16\.\d\d GiB of wasm memory/, /scores 16\.00 GiB/, /at most 4 GiB/] },
  { name: "returnWeights just over 4 GiB", call: (f) => f(long(32768), long(32768), long(32768), { returnWeights: true }),
    error: RangeError, message: [/needs 4\.00 GiB of wasm memory/, /scores 4\.00 GiB/, /at most 4 GiB/] },
  { name: "output of 8 GiB (GQA broadcast)", call: (f) => f({ data: new Float32Array(4096), dims: [1, 4096, 1, 1] }, long(1), long(1, 2 ** 19)),
    error: RangeError, message: [/needs 8\.\d\d GiB of wasm memory/, /output 8\.00 GiB/, /at most 4 GiB/] },
  { name: "3 GiB weights + 1.5 GiB output", call: (f) => f({ data: new Float32Array(16 * 65536), dims: [1, 16, 65536, 1] }, long(768), long(768, 384), { returnWeights: true }),
    error: RangeError, message: [/needs 4\.5\d GiB of wasm memory/, /output 1\.50 GiB/, /scores 3\.00 GiB/, /at most 4 GiB/] },
];

// ---------------------------------------------------------------------------------------
// onnxAttention() cases. Q, K, V as above (4D), or 3D with q_num_heads / kv_num_heads.

type OnnxFn = typeof onnxAttention;
const Q = q, K = k, V = v;
const onnxCases: Case<OnnxFn>[] = [
  { name: "inputs not an object", call: (f) => f(bad(null)),
    error: TypeError, message: [/inputs must be an object \{ Q, K, V, \.\.\. \}/, /got null/] },
  { name: "inputs an array", call: (f) => f(bad([Q, K, V])),
    error: TypeError, message: [/inputs must be an object/, /got an Array of length 3/] },
  { name: "unknown input `attn_msk`", call: (f) => f(bad({ Q, K, V, attn_msk: addMask })),
    error: TypeError, message: [/unknown input 'attn_msk'/, /did you mean 'attn_mask'/, /known: Q, K, V/] },
  { name: "unknown attribute `is_casual`", call: (f) => f({ Q, K, V }, bad({ is_casual: 1 })),
    error: TypeError, message: [/unknown attribute 'is_casual'/, /did you mean 'is_causal'/] },
  { name: "unknown option `opest`", call: (f) => f({ Q, K, V }, {}, bad({ opest: 24 })),
    error: TypeError, message: [/unknown option 'opest'/, /did you mean 'opset'/] },
  { name: "attributes an array", call: (f) => f({ Q, K, V }, bad([])),
    error: TypeError, message: [/attributes must be an object/, /got an Array of length 0/] },
  { name: "opset 22", call: (f) => f({ Q, K, V }, {}, { opset: 22 }),
    error: RangeError, message: [/options\.opset must be 23 or 24/, /got 22/] },
  { name: "opset a string", call: (f) => f({ Q, K, V }, {}, bad({ opset: "24" })),
    error: RangeError, message: [/options\.opset must be 23 or 24/, /got string "24"/] },
  { name: "unknown output name", call: (f) => f({ Q, K, V }, {}, bad({ outputs: ["Y", "present_kv"] })),
    error: TypeError, message: [/options\.outputs has unknown output string "present_kv"/, /known: Y, present_key/] },
  { name: "Q missing", call: (f) => f(bad({ K, V })),
    error: TypeError, message: [/\bQ must be a tensor \{ data, dims \}/, /got undefined/] },
  { name: "Q.data a Float64Array", call: (f) => f({ Q: withData(Float64Array.from(Q.data), Q.dims) as never, K, V }),
    error: TypeError, message: [/Q\.data must be a Float32Array \(float32\) or a Uint16Array of float16 bits/, /got Float64Array of length 320/] },
  { name: "K.data length ≠ dims", call: (f) => f({ Q, K: withData(K.data.subarray(1), K.dims), V }),
    error: RangeError, message: [/K\.data has 223 elements/, /K\.dims \[2, 2, 7, 8\] needs 224/] },
  { name: "Q rank 2", call: (f) => f({ Q: withData(Q.data, [40, 8]), K, V }),
    error: RangeError, message: [/\bQ must have rank 3 or 4/, /got rank 2 \[40, 8\]/] },
  { name: "K rank ≠ Q rank", call: (f) => f({ Q, K: withData(K.data, [2, 7, 16]), V }),
    error: RangeError, message: [/\bK must have Q's rank 4/, /got \[2, 7, 16\]/] },
  { name: "K batch ≠ Q batch", call: (f) => f({ Q, K: T([3, 2, 7, 8]), V: T([3, 2, 7, 6]) }),
    error: RangeError, message: [/share the batch size 2/, /got K \[3, 2, 7, 8\]/] },
  { name: "Hq not a multiple of Hkv", call: (f) => f({ Q: T([2, 3, 5, 8]), K, V }),
    error: RangeError, message: [/query heads 3 must be a positive multiple of key\/value heads 2/] },
  { name: "4D q_num_heads ≠ Q heads", call: (f) => f({ Q, K, V }, { q_num_heads: 2 }),
    error: RangeError, message: [/attributes\.q_num_heads is 2/, /Q \[2, 4, 5, 8\] has 4 heads/] },
  { name: "3D without q_num_heads", call: (f) => f({ Q: q3, K: k3, V: v3 }, { kv_num_heads: 2 }),
    error: TypeError, message: [/3D inputs need attributes\.q_num_heads and attributes\.kv_num_heads/, /got undefined and 2/] },
  { name: "3D q_num_heads does not divide Q's hidden size", call: (f) => f({ Q: q3, K: k3, V: v3 }, { q_num_heads: 5, kv_num_heads: 2 }),
    error: RangeError, message: [/Q hidden size 32/, /not a multiple of q_num_heads 5/] },
  { name: "past_key without past_value", call: (f) => f({ Q, K, V, past_key: T([2, 2, 3, 8]) }),
    error: TypeError, message: [/past_key and past_value come together/, /got only past_key/] },
  { name: "past_value without past_key", call: (f) => f({ Q, K, V, past_value: T([2, 2, 3, 6]) }),
    error: TypeError, message: [/past_key and past_value come together/, /got only past_value/] },
  { name: "past_key of the wrong shape", call: (f) => f({ Q, K, V, past_key: T([2, 2, 3, 4]), past_value: T([2, 2, 3, 6]) }),
    error: RangeError, message: [/past_key must be \[B, Hkv, P, Dk\] = \[2, 2, P, 8\]/, /got \[2, 2, 3, 4\]/] },
  { name: "nonpad_kv_seqlen in opset 23", call: (f) => f({ Q, K, V, nonpad_kv_seqlen: withData(new Int32Array([7, 7]), [2]) as never }, {}, { opset: 23 }),
    error: TypeError, message: [/nonpad_kv_seqlen is an opset-24 input/, /options\.opset is 23/] },
  { name: "nonpad_kv_seqlen out of range", call: (f) => f({ Q, K, V, nonpad_kv_seqlen: { data: new BigInt64Array([7n, 9n]), dims: [2] } }),
    error: RangeError, message: [/nonpad_kv_seqlen\[1\] must be an integer in 0\.\.7/, /got 9/] },
  { name: "nonpad_kv_seqlen of the wrong shape", call: (f) => f({ Q, K, V, nonpad_kv_seqlen: withData(new Int32Array([7, 7, 7]), [3]) as never }),
    error: RangeError, message: [/nonpad_kv_seqlen must be \[B\] = \[2\]/, /got \[3\]/] },
  { name: "attn_mask key axis longer than T", call: (f) => f({ Q, K, V, attn_mask: withData(new Uint8Array(40), [5, 8]) as never }),
    error: RangeError, message: [/attn_mask key axis is 8/, /longer than the 7 keys/] },
  { name: "attn_mask does not broadcast", call: (f) => f({ Q, K, V, attn_mask: withData(new Uint8Array(28), [4, 7]) as never }),
    error: RangeError, message: [/attn_mask \[4, 7\] does not broadcast/, /query axis is 4, expected 5 or 1/] },
  { name: "attn_mask data an Int32Array", call: (f) => f({ Q, K, V, attn_mask: withData(new Int32Array(35), [5, 7]) as never }),
    error: TypeError, message: [/attn_mask\.data must be a Uint8Array \(bool\) or a float tensor/, /got Int32Array of length 35/] },
  { name: "qk_matmul_output_mode 4", call: (f) => f({ Q, K, V }, { qk_matmul_output_mode: 4 }),
    error: RangeError, message: [/attributes\.qk_matmul_output_mode must be 0\.\.3/, /got 4/] },
  { name: "qk_matmul_output_mode fractional", call: (f) => f({ Q, K, V }, { qk_matmul_output_mode: 1.5 }),
    error: RangeError, message: [/attributes\.qk_matmul_output_mode must be an integer/, /got 1\.5/] },
  { name: "is_causal 2", call: (f) => f({ Q, K, V }, { is_causal: 2 }),
    error: RangeError, message: [/attributes\.is_causal must be 0 or 1/, /got 2/] },
  { name: "scale negative", call: (f) => f({ Q, K, V }, { scale: -1 }),
    error: RangeError, message: [/attributes\.scale must be ≥ 0/, /got -1/] },
  { name: "scale NaN", call: (f) => f({ Q, K, V }, { scale: NaN }),
    error: RangeError, message: [/attributes\.scale must be finite/, /got NaN/] },
  { name: "softmax_precision 2", call: (f) => f({ Q, K, V }, { softmax_precision: 2 }),
    error: RangeError, message: [/attributes\.softmax_precision must be 1, 10, 11 or 16/, /got 2/] },
];

/** A valid onnxAttention call still gives the reference's answer. */
function expectValidOnnxWorks(): void {
  const r = onnxAttention({ Q, K, V }, {}, { outputs: ["Y"] });
  const want = attentionReference(q, k, v);
  expect(r.Y!.dims).toEqual([2, 4, 5, 6]);
  expect(maxDiff(r.Y!.data as Float32Array, want.data)).toBeLessThanOrEqual(1e-5);
}

// ---------------------------------------------------------------------------------------

describe("before init()", () => {
  it("attention() and onnxAttention() throw an Error saying to `await init()`; attentionReference() needs no init", async () => {
    vi.resetModules();
    const fresh = await import("../src/index.js");
    for (const call of [() => fresh.attention(q, k, v), () => fresh.onnxAttention({ Q, K, V })]) {
      const e = thrown(call);
      expect(e.constructor).toBe(Error);
      expect(e.message).toMatch(/await init\(\)/);
      expect(e.message).toMatch(/^(attention|onnxAttention): .*not initialised/);
    }
    // Bad arguments before init still get the init message, not an argument error.
    expect(thrown(() => fresh.attention(bad(null), k, v)).message).toMatch(/await init\(\)/);
    const r = fresh.attentionReference(q, k, v, validOptions);
    expect(maxDiff(r.data, attentionReference(q, k, v, validOptions).data)).toBe(0);
  });
});

describe("attentionReference() rejects the same bad input", () => {
  it.each(attentionCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectError(thrown(() => c.call(attentionReference)), c.error, "attentionReference", c.message);
  });
});

const builds = runnableBuilds();

for (const build of builds) {
  describe(`on the '${build}' build`, () => {
    beforeAll(async () => {
      await useBuild(build);
      expectValidCallWorks(); // grows the arena to its size for the valid calls
      expectValidOnnxWorks();
    });

    describe("attention() rejects bad input before touching memory", () => {
      it.each(attentionCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
        expectRejectedUntouched(() => c.call(attention), c.error, "attention", c.message);
      });
    });

    describe("onnxAttention() rejects bad input before touching memory", () => {
      it.each(onnxCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
        expectRejectedUntouched(() => c.call(onnxAttention), c.error, "onnxAttention", c.message);
        expectValidOnnxWorks();
      });
    });

    it("a rejected call writes nothing into out or its inputs", () => {
      const out = new Float32Array(240).fill(12345);
      const qd = q.data.slice(), kd = k.data.slice(), vd = v.data.slice();
      // Everything valid but returnWeights, which is checked after the mask and keyLengths.
      const opts = bad({ out, causal: true, mask: addMask, keyLengths: [7, 4], returnWeights: 1 });
      expect(() => attention(q, k, v, opts)).toThrow(TypeError);
      expect(out.every((x) => x === 12345)).toBe(true);
      expect([q.data, k.data, v.data]).toEqual([qd, kd, vd]);
      expectValidCallWorks();
    });

    if (build !== "js") {
      it("a call that passes every argument check but needs > 4 GiB writes nothing into out", () => {
        // All arguments are valid; only the wasm arena (4 GiB of weights) is too small.
        const out = new Float32Array(32768).fill(12345);
        const x = long(32768);
        expectRejectedUntouched(() => attention(x, x, x, { out, returnWeights: true }), RangeError, "attention", [/at most 4 GiB/]);
        expect(out.every((y) => y === 12345)).toBe(true);
      });
    }

    if (build !== "js") {
      describe("a request over wasm32's 4 GiB is a RangeError saying how much it needs; memory does not grow", () => {
        it.each(bigCases.map((c) => [c.name, c] as const))("%s", (_, c) => {
          const mem = memory()!;
          const bytes = mem.buffer.byteLength;
          expect(bytes).toBeLessThan(2 ** 28); // the valid calls need well under 256 MiB
          expectRejectedUntouched(() => c.call(attention), c.error, "attention", c.message);
          expect(memory()).toBe(mem);
          expect(mem.buffer.byteLength).toBe(bytes);
        });
      });
    }
  });
}

describe("init() and initSync() reject bad arguments and keep the current build", () => {
  const start: Build = builds.includes("simd") ? "simd" : builds[0]!;
  const relaxedRuns = builds.includes("relaxed-simd");
  const simdBytes = readFileSync(new URL("../build/simd.wasm", import.meta.url));
  const scalarBytes = readFileSync(new URL("../build/scalar.wasm", import.meta.url));

  interface InitCase { name: string; call: () => Promise<unknown> | unknown; error: ErrorClass; fn: string; message: RegExp[]; skip?: boolean }
  const initCases: InitCase[] = [
    { name: "unknown option `biuld`", call: () => init(undefined, bad({ biuld: "simd" })), fn: "init",
      error: TypeError, message: [/unknown option 'biuld'/, /did you mean 'build'/, /known: build/] },
    { name: "build name invalid", call: () => init(undefined, bad({ build: "wasm-simd" })), fn: "init",
      error: TypeError, message: [/options\.build must be one of 'relaxed-simd', 'simd', 'scalar', 'js'/, /got string "wasm-simd"/] },
    { name: "options not an object", call: () => init(undefined, bad(5)), fn: "init",
      error: TypeError, message: [/options must be an object/, /got 5/] },
    { name: "options an array", call: () => init(undefined, bad(["simd"])), fn: "init",
      error: TypeError, message: [/options must be an object/, /got an Array of length 1/] },
    { name: "source of the wrong kind", call: () => init(bad(42)), fn: "init",
      error: TypeError, message: [/source must be a WebAssembly\.Module, bytes \(ArrayBuffer or view\), a URL or a Response/, /got 42/] },
    { name: "source bytes that are not wasm", call: () => init(new Uint8Array([1, 2, 3, 4])), fn: "init",
      error: Error, message: [/the given bytes do not compile here/] },
    { name: "source of another build than options.build", call: () => init(simdBytes, { build: "scalar" }), fn: "init",
      error: Error, message: [/the module given is the 'simd' build/, /options\.build asks for 'scalar'/] },
    { name: "relaxed-simd where the engine cannot run it", call: () => init(undefined, { build: "relaxed-simd" }), fn: "init",
      error: Error, message: [/cannot run the 'relaxed-simd' build/, /WebAssembly\.validate rejected it/], skip: relaxedRuns },
    { name: "initSync of the wrong kind", call: () => initSync(bad("simd.wasm")), fn: "initSync",
      error: TypeError, message: [/expected a WebAssembly\.Module or bytes/, /got string "simd\.wasm"/] },
    { name: "initSync with an unknown option", call: () => initSync(scalarBytes, bad({ build: "scalar", casual: true })), fn: "initSync",
      error: TypeError, message: [/unknown option 'casual'/, /known: build/] },
    { name: "initSync of another build than options.build", call: () => initSync(scalarBytes, { build: "simd" }), fn: "initSync",
      error: Error, message: [/the module given is the 'scalar' build/, /options\.build asks for 'simd'/] },
  ];

  beforeAll(async () => {
    await useBuild(start);
  });

  it.each(initCases.filter((c) => !c.skip).map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const engine = current!.engine;
    let e: unknown;
    try {
      await c.call();
    } catch (err) {
      e = err;
    }
    expect(e, "expected a rejection").toBeDefined();
    expectError(e, c.error, c.fn, c.message);
    expect(current!.build).toBe(start);
    expect(current!.engine).toBe(engine);
    expectValidCallWorks();
  });
});
