// What every runtime test checks of a fixture's result (test/fixtures/shared/check.js):
// the shape, and every element within 1e-5 of the float64 reference recomputed here in Node
// (|y| ≤ 1 and float32 over 53 keys × 64 dims: test/util/tolerance.ts derives the bound).
import { expect } from "vitest";
import { attentionReference } from "../../src/attention.js";
import { problem } from "../fixtures/shared/check.js";

export interface FixtureResult { dims?: number[]; ok?: boolean; maxDiff?: number; data?: number[]; error?: string }

export function expectRight(r: FixtureResult): void {
  expect(r.error).toBeUndefined();
  const { q, k, v, options } = problem();
  const ref = attentionReference(q, k, v, options);
  expect(r.dims).toEqual(ref.dims);
  expect(r.ok, `maxDiff ${r.maxDiff}`).toBe(true);
  let worst = 0;
  for (let i = 0; i < ref.data.length; i++) worst = Math.max(worst, Math.abs(r.data![i]! - ref.data[i]!));
  expect(worst).toBeLessThan(1e-5);
}
