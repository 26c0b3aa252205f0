// Shared by the attention kernels: where a head's rows are, and which keys a query row may see.
//
// Structural limits (causal, key lengths) make a prefix of keys visible: query row i of
// batch b sees keys j < rowLimit, where
//   rowLimit = min(keyLength[b], causal ? i + causalOffset[b] + 1 : Lkv), clamped to [0, Lkv].
// Blocks of keys at or past the largest limit of a query block are never computed.
// A dense mask (bool: nonzero = attend; or additive f32) then applies inside the limit:
// a bool 0 or an additive −∞ excludes the key by *selecting* −∞ (never by adding, so a
// NaN score from padding garbage in K is excluded too); other additive values are added.
import { P_LKV, P_CAUSAL, P_CAUSAL_OFFSETS, P_KEY_LENGTHS, P_MASK, P_MASK_KIND, MASK_BOOL, MASK_ADD, pI32, pPtr } from "../params";

@inline export function keyLength(p: usize, b: i32): i32 {
  const lkv = pI32(p, P_LKV);
  const kl = pPtr(p, P_KEY_LENGTHS);
  if (kl == 0) return lkv;
  const n = load<i32>(kl + (<usize>b << 2));
  return n < 0 ? 0 : (n > lkv ? lkv : n);
}

// Keys visible to query row i of batch b: [0, rowLimit).
@inline export function rowLimit(p: usize, b: i32, i: i32, keyLen: i32): i32 {
  if (pI32(p, P_CAUSAL) == 0) return keyLen;
  const lim = i + load<i32>(pPtr(p, P_CAUSAL_OFFSETS) + (<usize>b << 2)) + 1;
  return lim < 0 ? 0 : (lim < keyLen ? lim : keyLen);
}

// Byte address of the dense-mask row for (b, h, i); the key stride (0 or 1 elements) is
// slot P_MASK + 4. Broadcast axes have stride 0.
@inline export function maskRow(p: usize, b: i32, h: i32, i: i32): usize {
  const kind = pI32(p, P_MASK_KIND);
  const shift: usize = kind == MASK_BOOL ? 0 : 2;
  const e = <usize>(b * pI32(p, P_MASK + 1) + h * pI32(p, P_MASK + 2) + i * pI32(p, P_MASK + 3));
  return pPtr(p, P_MASK) + (e << shift);
}

@inline export function maskKeyStrideBytes(p: usize): usize {
  const kind = pI32(p, P_MASK_KIND);
  return <usize>pI32(p, P_MASK + 4) << (kind == MASK_BOOL ? 0 : 2);
}

// Applies the dense mask to n scores s[0..n) of one row, keys j0..j0+n−1, in place.
export function applyMaskRow(kind: i32, s: usize, n: i32, row: usize, j0: i32, keyStrideBytes: usize): void {
  const ninf = -Infinity as f32;
  let m = row + <usize>j0 * keyStrideBytes;
  if (kind == MASK_BOOL) {
    for (let j = 0; j < n; j++) {
      if (load<u8>(m) == 0) store<f32>(s + (<usize>j << 2), ninf);
      m += keyStrideBytes;
    }
  } else if (kind == MASK_ADD) {
    for (let j = 0; j < n; j++) {
      const a = load<f32>(m);
      const q = s + (<usize>j << 2);
      store<f32>(q, a == ninf ? ninf : load<f32>(q) + a);
      m += keyStrideBytes;
    }
  }
}

// Byte address of head (b, h) of the tensor whose pointer sits at `slot` (P_Q, P_K, P_V,
// P_OUT) and whose batch and head strides follow it; and that tensor's row stride in bytes.
@inline export function headAddr(p: usize, slot: i32, b: i32, h: i32): usize {
  return pPtr(p, slot) + (<usize>(b * pI32(p, slot + 1) + h * pI32(p, slot + 2)) << 2);
}

@inline export function rowBytes(p: usize, slot: i32): usize {
  return <usize>pI32(p, slot + 3) << 2;
}
