/*
 * A set of 52-bit fingerprints (non-negative integers below 2^52) in one Float64Array, open addressing with linear
 * probing. The inventory keeps one per listed vault to spot a vault listed twice; as a Set<number> a million of
 * them took 35 MB of V8 heap (a heap number and a hash-table entry each), which the collector lets grow to several
 * times that before it reclaims garbage. Here they take 8 bytes a slot, off the heap, in a table sized from the
 * inventory's count, so that an estate that grows a little while it is listed does not rehash.
 */

/** A new table's share in use for the count it is made for: room for vaults created while the scan lists. */
const initialLoad = 0.7;
/** Slots in use at most, as a share of the table; past it the table doubles. */
const maxLoad = 0.85;

export interface FingerprintSet {
  /** Adds `fingerprint`; false when it was there already. */
  add(fingerprint: number): boolean;
  readonly size: number;
}

export function fingerprintSet(expected: number): FingerprintSet {
  // A slot holds fingerprint + 1, so 0 marks an empty one; every such value is an exact double.
  let slots = new Float64Array(capacityFor(expected));
  let size = 0;

  function place(table: Float64Array, stored: number): boolean {
    // Fingerprints are hash bits, evenly spread: the value itself picks the slot.
    for (let i = stored % table.length; ; i = i + 1 === table.length ? 0 : i + 1) {
      if (table[i] === 0) {
        table[i] = stored;
        return true;
      }
      if (table[i] === stored) return false;
    }
  }

  return {
    add(fingerprint) {
      if (!Number.isSafeInteger(fingerprint) || fingerprint < 0 || fingerprint >= 2 ** 52) throw new RangeError(`not a 52-bit fingerprint: ${fingerprint}`);
      if (size + 1 > slots.length * maxLoad) {
        const grown = new Float64Array(slots.length * 2);
        for (const stored of slots) if (stored !== 0) place(grown, stored);
        slots = grown;
      }
      const added = place(slots, fingerprint + 1);
      if (added) size += 1;
      return added;
    },
    get size() {
      return size;
    },
  };
}

const capacityFor = (expected: number) => Math.max(64, Math.ceil(Math.max(0, expected) / initialLoad));
