import { describe, expect, it } from 'vitest';
import { capRow, maxFieldBytes } from '../../src/findings/rowLimits.js';

const utf8 = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
/** A string's size as it is sent: inside JSON, without its quotes. */
const jsonBytes = (text: string) => Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;

describe('capping values to Log Analytics field limits', () => {
  it('leaves ordinary rows untouched', () => {
    const row = { Name: 'kv-app', Count: 3, Ok: true, Missing: null, Tags: { env: 'prod' }, List: ['a', 'b'] };
    expect(capRow(row)).toEqual(row);
  });

  it.each([
    { scenario: 'ASCII', text: 'x'.repeat(200_000) },
    { scenario: 'multi-byte characters', text: 'ü€'.repeat(60_000) },
    { scenario: 'astral characters (surrogate pairs)', text: '🔑'.repeat(40_000) },
    // Six bytes each once serialised (\u0007): counted in UTF-8 they would pass the budget and grow past 1 MB on the wire.
    { scenario: 'control characters', text: '\u0007'.repeat(100_000) },
    { scenario: 'quotes and backslashes', text: '"\\'.repeat(30_000) },
  ])('cuts a long $scenario string under the budget, as serialised JSON, and says how long it was', ({ text }) => {
    const capped = capRow({ Detail: text }).Detail;
    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(maxFieldBytes + 2);
    expect(capped).toMatch(new RegExp(`\\[truncated ${jsonBytes(text)} bytes\\]$`));
    expect(capped.isWellFormed()).toBe(true);
  });

  it('keeps a huge array as valid JSON: a fitting prefix plus a marker counting the rest', () => {
    const settings = Array.from({ length: 10_000 }, (_, i) => `diagnostic-setting-${i}`);
    const capped = capRow({ AuditSettings: settings }).AuditSettings;
    expect(utf8(capped)).toBeLessThanOrEqual(maxFieldBytes);
    expect(capped.slice(0, 3)).toEqual(settings.slice(0, 3));
    expect(capped.at(-1)).toBe(`… ${10_000 - (capped.length - 1)} more items truncated`);
  });

  it('keeps an array of objects an array of objects: a fitting prefix, no marker element that would break its shape', () => {
    const destinations = Array.from({ length: 2_000 }, (_, i) => ({ Setting: `s${i}`, Kind: 'LogAnalyticsWorkspace', Id: `/subscriptions/x/workspaces/w${i}`, Status: 'Unverified', Approved: null }));
    const capped = capRow({ Destinations: destinations }).Destinations;
    expect(utf8(capped)).toBeLessThanOrEqual(maxFieldBytes);
    expect(capped.length).toBeGreaterThan(10);
    expect(capped).toEqual(destinations.slice(0, capped.length));
  });

  it('caps a very long tag value inside a dynamic column, keeping the other tags', () => {
    const capped = capRow({ Tags: { owner: 'team-a', notes: 'n'.repeat(100_000) } }).Tags;
    expect(capped.owner).toBe('team-a');
    expect(utf8(capped.notes)).toBeLessThanOrEqual(4 * 1024);
  });

  it('drops keys of an object with too many keys, recording how many', () => {
    const tags = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`tag${i}`, 'value-value-value']));
    const capped = capRow({ Tags: tags }).Tags as Record<string, string>;
    expect(utf8(capped)).toBeLessThanOrEqual(maxFieldBytes);
    expect(capped['_truncated']).toMatch(/^\d+ more keys truncated$/);
  });
});
