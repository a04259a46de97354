/*
 * XXH64 (seed 0), the algorithm Kusto's hash() uses ("hash_xxhash64() … returns an xxhash64 value"; Learn:
 * hash-xxhash64-function), over the UTF-8 bytes of a string. Resource Graph's documented way to page a
 * changing estate partitions it with hash(tolower(id), n), so the emulator must partition exactly as Azure does.
 */

const mask = (1n << 64n) - 1n;
const prime1 = 11400714785074694791n;
const prime2 = 14029467366897019727n;
const prime3 = 1609587929392839161n;
const prime4 = 9650029242287828579n;
const prime5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & mask;
const mul = (a: bigint, b: bigint) => (a * b) & mask;

function round(accumulator: bigint, lane: bigint): bigint {
  return mul(rotl((accumulator + mul(lane, prime2)) & mask, 31n), prime1);
}

function mergeRound(accumulator: bigint, value: bigint): bigint {
  return ((mul(accumulator ^ round(0n, value), prime1) + prime4) & mask);
}

/** The unsigned 64-bit XXH64 of `bytes` with seed 0. */
export function xxhash64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  let offset = 0;
  let hash: bigint;
  if (length >= 32) {
    let v1 = (prime1 + prime2) & mask;
    let v2 = prime2;
    let v3 = 0n;
    let v4 = (0n - prime1) & mask;
    for (; offset + 32 <= length; offset += 32) {
      v1 = round(v1, view.getBigUint64(offset, true));
      v2 = round(v2, view.getBigUint64(offset + 8, true));
      v3 = round(v3, view.getBigUint64(offset + 16, true));
      v4 = round(v4, view.getBigUint64(offset + 24, true));
    }
    hash = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & mask;
    hash = mergeRound(hash, v1);
    hash = mergeRound(hash, v2);
    hash = mergeRound(hash, v3);
    hash = mergeRound(hash, v4);
  } else {
    hash = prime5;
  }
  hash = (hash + BigInt(length)) & mask;
  for (; offset + 8 <= length; offset += 8) {
    hash ^= round(0n, view.getBigUint64(offset, true));
    hash = ((mul(rotl(hash, 27n), prime1) + prime4) & mask);
  }
  if (offset + 4 <= length) {
    hash ^= mul(BigInt(view.getUint32(offset, true)), prime1);
    hash = ((mul(rotl(hash, 23n), prime2) + prime3) & mask);
    offset += 4;
  }
  for (; offset < length; offset += 1) {
    hash ^= mul(BigInt(bytes[offset]!), prime5);
    hash = mul(rotl(hash, 11n), prime1);
  }
  hash ^= hash >> 33n;
  hash = mul(hash, prime2);
  hash ^= hash >> 29n;
  hash = mul(hash, prime3);
  hash ^= hash >> 32n;
  return hash;
}
