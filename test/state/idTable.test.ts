import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable, compareIds } from '../../src/state/idTable.js';

/** The ids of a loaded state, front-coded off the heap: every id found where it is, nothing else found, order kept. */

const armId = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('rg-app', 'rg-app-2', 'rg-ünïcode', 'rg-(x)'), fc.stringMatching(/^[a-z0-9-]{1,24}$/))
  .map(([s, rg, name]) => `/subscriptions/0000000${s}-0000-4000-8000-000000000000/resourcegroups/${rg}/providers/microsoft.keyvault/vaults/${name}`);
/** Any string: a malformed record's id keeps its state too, surrogate pairs and U+E000–U+FFFF included. */
const anyId = fc.oneof(armId, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }));

describe('a table of ids', () => {
  it('finds every id it holds at its place in code point order, and none it does not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyId, { minLength: 0, maxLength: 200 }), fc.array(anyId, { maxLength: 20 }), (ids, others) => {
        const sorted = [...ids].sort(compareIds);
        const table = IdTable.of(sorted);
        expect(table.size).toBe(sorted.length);
        expect([...table.entries()]).toEqual(sorted.map((id, index) => [index, id]));
        for (const [index, id] of sorted.entries()) expect(table.find(id)).toBe(index);
        for (const other of others) expect(table.find(other)).toBe(sorted.indexOf(other));
      }),
    );
  });

  it('orders as UTF-8 does: a character beyond U+FFFF after U+E000–U+FFFF (where UTF-16 order puts it before)', () => {
    const [low, high] = ['\u{ffef}', '\u{1f600}'];
    expect(compareIds(low, high)).toBeLessThan(0);
    expect(low < high).toBe(false);
    expect(Buffer.compare(Buffer.from(low), Buffer.from(high))).toBeLessThan(0);
  });

  it('refuses ids out of order, or one twice', () => {
    const builder = IdTable.builder();
    expect(builder.add(Buffer.from('/subscriptions/b'))).toBe(true);
    expect(builder.add(Buffer.from('/subscriptions/a'))).toBe(false);
    expect(builder.add(Buffer.from('/subscriptions/b'))).toBe(false);
  });

  it('takes some 25 bytes an id for a resource group of vaults, where strings on the heap take some 130', () => {
    const ids = Array.from({ length: 10_000 }, (_, n) => `/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg-app-${n % 20}/providers/microsoft.keyvault/vaults/kv-${String(n).padStart(6, '0')}`).sort(compareIds);
    const table = IdTable.of(ids);
    expect(table.bytes / ids.length).toBeLessThan(30);
  });
});
