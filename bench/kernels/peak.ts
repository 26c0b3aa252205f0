// The machine's limits, measured in the same run as the attention kernels so every
// figure reads as a fraction of them. AssemblyScript, compiled by bench/build-kernels.mjs
// into bench/build/peak-simd.wasm (--enable simd) and peak-relaxed-simd.wasm (also
// relaxed-simd). Not part of the package (assembly/ holds that).
//
// Each kernel runs n iterations of independent f32x4 multiply-adds, one per accumulator
// (8, or 12 in peakRegs12), every product distinct (so Binaryen cannot merge two) and
// every iteration's operands loaded from a 1 KiB table in L1 (so V8 cannot hoist a
// product out of the loop). 8 live accumulators is what the attention's 2×16 gemm tile
// holds (DESIGN.md §3). Flops per call: n · accumulators · 4 lanes · 2 (multiply, add).
// A peak is the best of the variants.

// @inline: a·b + c, as the build allows: FMA (relaxed_madd) or multiply then add.
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** 4 constant rows × 2 vectors loaded per iteration: acc[r][c] += x_r · y_c. */
export function peakRegs(n: i32, tab: usize): f32 {
  const x0 = v128.load(tab), x1 = v128.load(tab, 16), x2 = v128.load(tab, 32), x3 = v128.load(tab, 48);
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let i = 0; i < n; i++) {
    const p = tab + (<usize>(i & 31) << 5);
    const y0 = v128.load(p), y1 = v128.load(p, 16);
    a0 = madd(x0, y0, a0); a1 = madd(x0, y1, a1);
    a2 = madd(x1, y0, a2); a3 = madd(x1, y1, a3);
    a4 = madd(x2, y0, a4); a5 = madd(x2, y1, a5);
    a6 = madd(x3, y0, a6); a7 = madd(x3, y1, a7);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * 12 accumulators, 2 constant rows × 6 vectors loaded one at a time: 15 live v128,
 * which V8's x64 register allocator holds without spilling only when the product needs
 * no temporary, i.e. with FMA (a multiply then add needs one more register).
 */
export function peakRegs12(n: i32, tab: usize): f32 {
  const x0 = v128.load(tab), x1 = v128.load(tab, 16);
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  let a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  for (let i = 0; i < n; i++) {
    const p = tab + (<usize>(i & 7) << 7);
    let y = v128.load(p);
    a0 = madd(x0, y, a0); a1 = madd(x1, y, a1);
    y = v128.load(p, 16);
    a2 = madd(x0, y, a2); a3 = madd(x1, y, a3);
    y = v128.load(p, 32);
    a4 = madd(x0, y, a4); a5 = madd(x1, y, a5);
    y = v128.load(p, 48);
    a6 = madd(x0, y, a6); a7 = madd(x1, y, a7);
    y = v128.load(p, 64);
    a8 = madd(x0, y, a8); a9 = madd(x1, y, a9);
    y = v128.load(p, 80);
    a10 = madd(x0, y, a10); a11 = madd(x1, y, a11);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** The gemm micro-tile's shape (2×16): 2 broadcast scalars × 4 vectors, all loaded each iteration. */
export function peakTile(n: i32, tab: usize): f32 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let i = 0; i < n; i++) {
    const p = tab + (<usize>(i & 15) << 6);
    const y0 = v128.load(p), y1 = v128.load(p, 16), y2 = v128.load(p, 32), y3 = v128.load(p, 48);
    const q = tab + (<usize>((i + 7) & 63) << 4);
    let x = v128.load32_splat(q);
    a0 = madd(x, y0, a0); a1 = madd(x, y1, a1); a2 = madd(x, y2, a2); a3 = madd(x, y3, a3);
    x = v128.load32_splat(q, 4);
    a4 = madd(x, y0, a4); a5 = madd(x, y1, a5); a6 = madd(x, y2, a6); a7 = madd(x, y3, a7);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * Reads bytes (a multiple of 64) from p once with 16-byte loads, summing into 4
 * accumulators: the floor for a kernel that must read that much (decoding reads the
 * whole K and V cache once per token).
 */
export function streamSum(p: usize, bytes: usize): f32 {
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  const end = p + bytes;
  for (let q = p; q < end; q += 64) {
    s0 = f32x4.add(s0, v128.load(q));
    s1 = f32x4.add(s1, v128.load(q, 16));
    s2 = f32x4.add(s2, v128.load(q, 32));
    s3 = f32x4.add(s3, v128.load(q, 48));
  }
  const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** First free byte of linear memory (the bench grows memory and puts its buffers there). */
export function heapBase(): usize {
  return __heap_base;
}
