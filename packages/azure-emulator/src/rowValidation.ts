/** Column types of DCR stream declarations. */
export const streamColumnTypes = ['string', 'int', 'long', 'real', 'boolean', 'datetime', 'dynamic'] as const;
type StreamColumnType = (typeof streamColumnTypes)[number];

export interface StreamColumn {
  readonly name: string;
  readonly type: StreamColumnType;
}

/*
 * Checks uploaded rows against a stream's declared columns. The real Logs Ingestion API is laxer: it
 * answers 204 and silently drops what does not fit (Azure/azure-sdk-for-net#34638), so a wrong column
 * would only show up as missing data in Log Analytics. The emulator rejects it loudly instead.
 */

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const int64 = { min: -(2 ** 63), max: 2 ** 63 };
// ISO 8601 date, optionally with a time and an offset (Log Analytics accepts up to 7 fractional digits).
const isoDateTime =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$/i;

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Why a value does not fit a column type, or null when it fits. null fits every column. */
function typeProblem(type: StreamColumnType, value: unknown): string | null {
  if (value === null) return null;
  const fits = (() => {
    switch (type) {
      case 'string':
        return typeof value === 'string';
      case 'int':
        return Number.isInteger(value) && (value as number) >= int32.min && (value as number) <= int32.max;
      case 'long':
        return Number.isInteger(value) && (value as number) >= int64.min && (value as number) < int64.max;
      case 'real':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      case 'datetime':
        return typeof value === 'string' && isoDateTime.test(value);
      case 'dynamic':
        return true;
    }
  })();
  if (fits) return null;
  const expected = {
    string: 'string',
    int: 'int (a whole number within 32 bits)',
    long: 'long (a whole number within 64 bits)',
    real: 'real (a number)',
    boolean: 'boolean',
    datetime: 'datetime (an ISO 8601 string)',
    dynamic: 'dynamic',
  }[type];
  // Show the value itself where its type alone does not explain the problem.
  const got =
    type === 'datetime' && typeof value === 'string'
      ? `'${value}'`
      : (type === 'int' || type === 'long') && typeof value === 'number'
        ? String(value)
        : describeValue(value);
  return `expected ${expected}, got ${got}`;
}

/** Every problem of every row, rows numbered from 0 as in the uploaded array. */
export function rowProblems(rows: readonly unknown[], columns: readonly StreamColumn[]): string[] {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  return rows.flatMap((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return [`row ${i}: expected an object, got ${row === null ? 'null' : describeValue(row)}`];
    return Object.entries(row).flatMap(([name, value]) => {
      const type = types.get(name);
      if (type === undefined) return [`row ${i}: unknown column ${name}`];
      const problem = typeProblem(type, value);
      return problem ? [`row ${i}: column ${name}: ${problem}`] : [];
    });
  });
}
