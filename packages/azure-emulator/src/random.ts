import { createHash } from 'node:crypto';

/*
 * The emulator's one source of seeded randomness, for reproducible faults and generated estates:
 * Math.random cannot be seeded.
 */

/** A stream of numbers in [0, 1) from mulberry32, a small, fast, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  // Folds the high bits of a seed beyond 32 bits in, so large seeds differ too.
  let state = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** 32-bit FNV-1a: turns a decision's identity (text) into a seed. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A GUID (version 4 layout) derived from a text (SHA-256, so distinct texts do not collide): ids the same seed reproduces. */
export function seededGuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
