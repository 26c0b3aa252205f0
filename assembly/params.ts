// The parameter block of one attention call: P_COUNT little-endian 32-bit slots in linear
// memory, written by the TypeScript wrapper (src/abi.ts mirrors these numbers) and
// read by the kernels. Pointers are byte addresses; strides are in elements (f32).
//
// Shapes: q [B, Hq, Lq, Dk], k [B, Hkv, Lkv, Dk], v [B, Hkv, Lkv, Dv],
// out [B, Hq, Lq, Dv], each addressed through its own (batch, head, row) strides, so
// the 4D layout and the 3D layout [B, L, H·D] are the same kernel call.

export const P_B: i32 = 0;
export const P_HQ: i32 = 1;
export const P_HKV: i32 = 2;
export const P_LQ: i32 = 3;
export const P_LKV: i32 = 4;
export const P_DK: i32 = 5;
export const P_DV: i32 = 6;
export const P_Q: i32 = 7; // q pointer; the next three slots are its batch, head, row strides
export const P_K: i32 = 11;
export const P_V: i32 = 15;
export const P_OUT: i32 = 19;
export const P_SCALE: i32 = 23; // f32
export const P_SOFTCAP: i32 = 24; // f32, 0 = off
export const P_CAUSAL: i32 = 25; // 0 or 1
export const P_CAUSAL_OFFSETS: i32 = 26; // i32[B]: query i sees key j when j <= i + offset[b]
export const P_KEY_LENGTHS: i32 = 27; // i32[B] or 0: keys j >= length[b] are masked
export const P_MASK_KIND: i32 = 28; // 0 none, 1 bool (u8, nonzero = attend), 2 additive f32
export const P_MASK: i32 = 29; // mask pointer; the next four slots are its batch, head, row, key strides (0 = broadcast)
export const P_LSE: i32 = 34; // f32[B, Hq, Lq] or 0
export const P_SCRATCH: i32 = 35;
export const P_BLOCK_Q: i32 = 36; // query rows per block of the fused kernel, a multiple of 8
export const P_BLOCK_K: i32 = 37; // keys per block, a multiple of 4
export const P_SCORES: i32 = 38; // f32[B, Hq, Lq, Lkv] written by the scores kernel
export const P_SCORES_MODE: i32 = 39; // 0 scaled QKᵀ, 1 + softcap, 2 + mask, 3 softmax probabilities
// u8[B·Hkv] or 0: per (batch, KV head) whether its visible V rows hold a non-finite value,
// 0 = not yet known, 1 = no, 2 = yes; the first unit of work on a head fills it in, so
// the pool's workers scan each head's V once, not once per unit (0: scan per call).
export const P_GUARDS: i32 = 40;
export const P_COUNT: i32 = 41;

export const MASK_NONE: i32 = 0;
export const MASK_BOOL: i32 = 1;
export const MASK_ADD: i32 = 2;

@inline export function pI32(p: usize, slot: i32): i32 {
  return load<i32>(p + (<usize>slot << 2));
}

@inline export function pPtr(p: usize, slot: i32): usize {
  return <usize>load<u32>(p + (<usize>slot << 2));
}

@inline export function pF32(p: usize, slot: i32): f32 {
  return load<f32>(p + (<usize>slot << 2));
}
