// a·b + c on four lanes. The relaxed-simd build fuses it (f32x4.relaxed_madd, an FMA
// on x86 and ARM, rounding once); the simd build multiplies then adds (rounding twice).
// Either is within the error bounds the tests derive (they allow two roundings per term).
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
