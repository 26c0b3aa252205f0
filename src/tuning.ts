// Block sizes of the fused kernel, when the decode kernel takes over, and how small a
// call the worker pool keeps on the calling thread. Measured in
// bench/ on this project's reference machine; tests shrink them to put several blocks
// into small cases.
export interface Tuning {
  /** Query rows per block of the fused kernel (a multiple of 8). */
  blockQ: number;
  /** Keys per block (a multiple of 4). */
  blockK: number;
  /** Calls with at most this many query rows use the dot-product decode kernel. */
  decodeMaxRows: number;
  /**
   * The worker pool runs a call with fewer multiply-adds than this (B·Hq·Lq·Lkv·(Dk + Dv))
   * on the calling thread alone: below it, waking the workers costs more than they save.
   * `npm run bench:threads` ("small calls") measures both sides. With the pool's default
   * (workers only), 2 cores here, samples one after another (eight runs): 6.3M
   * multiply-adds (12 heads × 64 tokens × 64) ran 0.57-0.89× as fast shared as on one
   * thread, 14.2M (96 tokens) 0.90-1.14×, 25.2M (bert-base, 128 tokens) 1.08-1.21×; each
   * after an idle spell (three runs): 0.67-0.71×, 0.90-0.93×, 1.20-1.21×. They break
   * even near 20M. (With useCallingThread, one after another: 0.86-1.11×, 0.97-1.21×,
   * 1.14-1.40×; after an idle spell 0.87-0.92×, 0.94-0.98×, 1.04-1.15×.)
   */
  poolMinMacs: number;
}

export const DEFAULT_TUNING: Readonly<Tuning> = Object.freeze({ blockQ: 32, blockK: 64, decodeMaxRows: 4, poolMinMacs: 2e7 });

export const tuning: Tuning = { ...DEFAULT_TUNING };

/** Changes the tuning (internal: for tests and benchmarks). Returns the previous one. */
export function setTuning(t: Partial<Tuning>): Tuning {
  const prev = { ...tuning };
  const next = { ...tuning, ...t };
  if (!Number.isInteger(next.blockQ) || next.blockQ < 8 || next.blockQ % 8 !== 0) throw new RangeError(`blockQ must be a positive multiple of 8, got ${next.blockQ}`);
  if (!Number.isInteger(next.blockK) || next.blockK < 4 || next.blockK % 4 !== 0) throw new RangeError(`blockK must be a positive multiple of 4, got ${next.blockK}`);
  if (!Number.isInteger(next.decodeMaxRows) || next.decodeMaxRows < 0) throw new RangeError(`decodeMaxRows must be an integer ≥ 0, got ${next.decodeMaxRows}`);
  if (!(next.poolMinMacs >= 0)) throw new RangeError(`poolMinMacs must be a number ≥ 0, got ${next.poolMinMacs}`);
  Object.assign(tuning, next);
  return prev;
}
