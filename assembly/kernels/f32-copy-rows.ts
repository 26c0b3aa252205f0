// f32-copy-rows: copies a [B, H, L, D] block of rows between two strided layouts
// (strides in elements: batch, head, row; rows are D contiguous floats). Used to build
// ONNX present_key / present_value (past ++ new, 3D or 4D in, 4D out).
export function f32CopyRows(
  dst: usize, dsb: i32, dsh: i32, dsl: i32,
  src: usize, ssb: i32, ssh: i32, ssl: i32,
  nb: i32, nh: i32, nl: i32, d: i32,
): void {
  const bytes = <usize>d << 2;
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      let pd = dst + (<usize>(b * dsb + h * dsh) << 2);
      let ps = src + (<usize>(b * ssb + h * ssh) << 2);
      for (let l = 0; l < nl; l++) {
        memory.copy(pd, ps, bytes);
        pd += <usize>dsl << 2;
        ps += <usize>ssl << 2;
      }
    }
  }
}
