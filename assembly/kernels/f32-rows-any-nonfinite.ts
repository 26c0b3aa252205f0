// f32-rows-any-nonfinite: true when any of rows × n floats (row r at p + r·ld bytes)
// is NaN or ±∞. x − x is 0 for finite x and NaN otherwise, so one compare per lane.
export function f32RowsAnyNonfinite(p: usize, rows: i32, n: i32, ld: usize): bool {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * ld;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let bad = i32x4.splat(0);
      for (; j + 4 <= n; j += 4) {
        const x = v128.load(row + (<usize>j << 2));
        bad = v128.or(bad, f32x4.ne(f32x4.sub(x, x), f32x4.splat(0)));
      }
      if (v128.any_true(bad)) return true;
    }
    for (; j < n; j++) {
      const x = load<f32>(row + (<usize>j << 2));
      if (x - x != 0) return true;
    }
  }
  return false;
}
