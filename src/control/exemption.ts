import type { Exemption } from '../findings/schema.js';

/*
 * An exemption is a resource tag whose value is the reason, optionally with
 * `until=YYYY-MM-DD` (inclusive, UTC):  "Vendor-managed, ticket SEC-42; until=2027-01-31".
 * A reason is mandatory: an auditor must be able to read why a vault is exempt.
 */

const untilClause = /(^|[\s;,|])until\s*=\s*(\S*)/i;
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(value: string): boolean {
  const match = isoDate.exec(value);
  if (!match) return false;
  const [, year, month, day] = match.map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
}

function tagValue(tags: Readonly<Record<string, string>>, tagName: string): string | undefined {
  // Azure tag names are case-insensitive.
  const wanted = tagName.toLowerCase();
  return Object.entries(tags).find(([name]) => name.toLowerCase() === wanted)?.[1];
}

export function readExemption(tags: Readonly<Record<string, string>>, tagName: string, now: Date): Exemption | null {
  const value = tagValue(tags, tagName);
  if (value === undefined) return null;

  const clause = untilClause.exec(value);
  const until = clause ? (clause[2] ?? '') : null;
  const reason = (clause ? value.slice(0, clause.index) + value.slice(clause.index + clause[0].length) : value)
    .replace(/^[\s;,|]+|[\s;,|]+$/g, '')
    .trim();

  const invalid = (problem: string): Exemption => ({ Reason: reason, Until: until, State: 'Invalid', Problem: problem });
  if (reason === '') return invalid(`tag '${tagName}' has no reason; write the justification in the tag value`);
  if (until === null) return { Reason: reason, Until: null, State: 'Active', Problem: null };
  if (!isRealDate(until)) return invalid(`'until=${until}' is not a date in the form YYYY-MM-DD`);

  const today = now.toISOString().slice(0, 10);
  return until < today
    ? { Reason: reason, Until: until, State: 'Expired', Problem: `exemption expired on ${until}` }
    : { Reason: reason, Until: until, State: 'Active', Problem: null };
}
