/*
 * The ids of a loaded state, off V8's heap: a million resource ids as strings take some 130 MB of heap, and V8's
 * collector keeps about as much again in slack around them. Here they are UTF-8 in one Buffer, in ascending byte
 * order, front-coded in blocks of 16 (each id after a block's first is the length it shares with the one before and
 * the rest): the ids of one resource group share all but a name, so a million take some 25 MB. An id is found by
 * binary search over the blocks' first ids, then a walk through its block.
 *
 * Byte order is code point order, which is also how `compareIds` orders strings: JavaScript's `<` compares UTF-16
 * code units and would put U+E000–U+FFFF after the characters beyond U+FFFF, which UTF-8 puts before them.
 */

const blockSize = 16;

/** Strings in UTF-8 byte order (code point order). */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate starts a code point above U+FFFF: after any other code unit, where UTF-16's order puts it before U+E000.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Appends an unsigned integer in 7-bit groups. */
function writeVarint(out: Growable, value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.byte((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.byte(rest);
}

class Growable {
  bytes = Buffer.allocUnsafe(1 << 16);
  length = 0;
  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
  byte(value: number): void {
    this.#room(1);
    this.bytes[this.length++] = value;
  }
  append(source: Buffer, from: number, to: number): void {
    this.#room(to - from);
    source.copy(this.bytes, this.length, from, to);
    this.length += to - from;
  }
}

export class IdTable {
  readonly #bytes: Buffer;
  /** Where each block begins in #bytes; the last entry is the end. */
  readonly #blocks: Uint32Array;
  readonly size: number;

  private constructor(bytes: Buffer, blocks: Uint32Array, size: number) {
    this.#bytes = bytes;
    this.#blocks = blocks;
    this.size = size;
  }

  /** The memory it takes, in bytes (off the heap). */
  get bytes(): number {
    return this.#bytes.length + this.#blocks.byteLength;
  }

  /** Takes ids in strictly ascending byte order; `add` refuses one that is not. */
  static builder(): { add(id: Buffer): boolean; done(): IdTable } {
    const out = new Growable();
    const blocks: number[] = [];
    let previous: Buffer | null = null;
    let count = 0;
    return {
      add(id) {
        if (previous !== null && Buffer.compare(previous, id) >= 0) return false;
        if (count % blockSize === 0) {
          blocks.push(out.length);
          writeVarint(out, id.length);
          out.append(id, 0, id.length);
        } else {
          let shared = 0;
          const limit = Math.min(previous!.length, id.length);
          while (shared < limit && previous![shared] === id[shared]) shared++;
          writeVarint(out, shared);
          writeVarint(out, id.length - shared);
          out.append(id, shared, id.length);
        }
        // A copy: the caller's buffer may be a view of a chunk it reuses.
        previous = Buffer.from(id);
        count++;
        return true;
      },
      done() {
        blocks.push(out.length);
        return new IdTable(Buffer.from(out.bytes.subarray(0, out.length)), Uint32Array.from(blocks), count);
      },
    };
  }

  static of(ids: Iterable<string>): IdTable {
    const builder = IdTable.builder();
    for (const id of ids) if (!builder.add(Buffer.from(id, 'utf8'))) throw new Error(`ids out of order at ${id}`);
    return builder.done();
  }

  /** Where `find` decodes ids, one over the one before: no allocation per id. */
  readonly #findScratch = { bytes: Buffer.alloc(256) };

  /**
   * The ids of block `block`, decoded in order into `scratch` (each over the one before: no allocation per id):
   * each yield is an index and the id's length there, valid until the next.
   */
  *#block(block: number, scratch: { bytes: Buffer }): Generator<[number, number]> {
    let at = this.#blocks[block]!;
    const end = this.#blocks[block + 1]!;
    for (let index = block * blockSize; at < end; index++) {
      let shared = 0;
      if (index % blockSize !== 0) [shared, at] = readVarint(this.#bytes, at);
      let length: number;
      [length, at] = readVarint(this.#bytes, at);
      if (shared + length > scratch.bytes.length) {
        const grown = Buffer.alloc(2 * (shared + length));
        scratch.bytes.copy(grown, 0, 0, shared);
        scratch.bytes = grown;
      }
      this.#bytes.copy(scratch.bytes, shared, at, at + length);
      at += length;
      yield [index, shared + length];
    }
  }

  /** How `id` compares with the first id of a block (negative: it comes before). */
  #compareWithFirst(id: Buffer, block: number): number {
    const [length, at] = readVarint(this.#bytes, this.#blocks[block]!);
    return id.compare(this.#bytes, at, at + length);
  }

  /** Index of an id, or -1. */
  find(id: string): number {
    if (this.size === 0) return -1;
    const wanted = Buffer.from(id, 'utf8');
    let low = 0;
    let high = this.#blocks.length - 2;
    // The last block whose first id is at most the one wanted.
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#compareWithFirst(wanted, middle) >= 0) low = middle;
      else high = middle - 1;
    }
    const scratch = this.#findScratch;
    for (const [index, length] of this.#block(low, scratch)) {
      const order = -wanted.compare(scratch.bytes, 0, length);
      if (order === 0) return index;
      if (order > 0) return -1;
    }
    return -1;
  }

  /** Every id with its index, in order. */
  *entries(): Generator<[number, string]> {
    const scratch = { bytes: Buffer.alloc(256) };
    for (let block = 0; block < this.#blocks.length - 1; block++) {
      for (const [index, length] of this.#block(block, scratch)) yield [index, scratch.bytes.toString('utf8', 0, length)];
    }
  }
}

function readVarint(bytes: Buffer, from: number): [number, number] {
  let value = 0;
  let shift = 0;
  let at = from;
  for (;;) {
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}
