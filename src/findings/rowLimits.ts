/*
 * Log Analytics truncates any field over 64 KB, which would cut a dynamic
 * column's JSON in half. Values are capped here first, well under that, so a
 * hostile record (a 100 KB tag, 10,000 settings) yields a smaller but valid row.
 * Sizes are counted as the row is sent: in bytes of its JSON, where a control
 * character takes six (\u0007), so a hostile value cannot grow past its budget
 * on the wire and have the whole upload refused.
 */

/** Per-column budget in bytes of JSON; a row of 24 capped columns still fits a 1 MB upload. */
export const maxFieldBytes = 32 * 1024;
/** Budget for a single string nested inside a dynamic value. */
const maxNestedStringBytes = 4 * 1024;

/** A string's size inside a JSON document, without its quotes. */
const bytes = (text: string) => Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;

function capString(value: string, budget: number): string {
  const size = bytes(value);
  if (size <= budget) return value;
  const marker = ` … [truncated ${size} bytes]`;
  let kept = value.slice(0, budget - bytes(marker));
  while (bytes(kept) + bytes(marker) > budget) kept = kept.slice(0, Math.floor(kept.length * 0.9));
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return kept + marker;
}

function capNestedStrings(value: unknown): unknown {
  if (typeof value === 'string') return capString(value, maxNestedStringBytes);
  if (Array.isArray(value)) return value.map(capNestedStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [capString(k, maxNestedStringBytes), capNestedStrings(v)]));
  }
  return value;
}

const jsonBytes = (value: unknown) => bytes(JSON.stringify(value));

/** The longest prefix of `items` whose JSON, with a marker for the rest, fits the budget. */
function fittingPrefix<T>(items: readonly T[], build: (kept: readonly T[], dropped: number) => unknown): unknown {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonBytes(build(items.slice(0, mid), items.length - mid)) <= maxFieldBytes) low = mid;
    else high = mid - 1;
  }
  return build(items.slice(0, low), items.length - low);
}

function capDynamic(value: unknown): unknown {
  const capped = capNestedStrings(value);
  if (jsonBytes(capped) <= maxFieldBytes) return capped;
  if (Array.isArray(capped)) {
    // A marker string would break an array of objects (Destinations), so only string arrays get one.
    const marker = capped.every((item) => typeof item === 'string');
    return fittingPrefix(capped, (kept, dropped) => (marker ? [...kept, `… ${dropped} more items truncated`] : kept));
  }
  if (typeof capped === 'object' && capped !== null) {
    return fittingPrefix(Object.entries(capped), (kept, dropped) => ({
      ...Object.fromEntries(kept),
      _truncated: `${dropped} more keys truncated`,
    }));
  }
  return capped;
}

/** The row with every value within Log Analytics' field limit. */
export function capRow<T extends Record<string, unknown>>(row: T): T {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column,
      typeof value === 'string' ? capString(value, maxFieldBytes) : value !== null && typeof value === 'object' ? capDynamic(value) : value,
    ]),
  ) as T;
}
