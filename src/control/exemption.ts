import type { Exemption } from '../findings/schema.js';

/*
 * An exemption is a resource tag. Its value has one grammar, and nothing else is read as one:
 *
 *   <reason>                            an exemption with no end date
 *   <reason>; until=YYYY-MM-DD          one that ends after that day (inclusive, UTC)
 *
 * The reason is mandatory — an auditor must be able to read why a vault is exempt — and must hold a letter or a
 * digit: invisible or control characters alone are no reason. Whoever can tag a vault can write this value, so
 * anything that looks like an end date written another way ("until: 2020-01-01", "valid-until=…", "(until=…)", a
 * date anywhere in the reason) makes the exemption invalid rather than open-ended: it is ignored, and the detail
 * says why.
 */

const untilClause = /^(?<reason>.*?)\s*;\s*until=(?<until>\S+)$/is;
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A date, or an expiry keyword followed by ':' or '=': an end date written outside the grammar. */
const looseExpiry = /\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\b(until|expires?|expiry|expiration|valid[-_ ]?until|end[-_ ]?date)\s*[:=]/i;
/** Something a person can read: a letter or a digit. */
const readable = /[\p{L}\p{N}]/u;

export const exemptionGrammar = "'<reason>' or '<reason>; until=YYYY-MM-DD'";

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

  const clause = untilClause.exec(value.trim());
  const reason = (clause?.groups?.['reason'] ?? value).trim();
  const until = clause?.groups?.['until'] ?? null;
  const invalid = (problem: string): Exemption => ({ Reason: reason, Until: until, State: 'Invalid', Problem: problem });

  if (!readable.test(reason)) return invalid(`tag '${tagName}' has no reason; write the justification in the tag value, as ${exemptionGrammar}`);
  if (looseExpiry.test(reason)) {
    return invalid(`tag '${tagName}' seems to hold an end date outside the form ${exemptionGrammar}; write it as '; until=YYYY-MM-DD' at the end`);
  }
  if (until === null) return { Reason: reason, Until: null, State: 'Active', Problem: null };
  if (!isRealDate(until)) return invalid(`'until=${until}' is not a date in the form YYYY-MM-DD`);

  const today = now.toISOString().slice(0, 10);
  return until < today
    ? { Reason: reason, Until: until, State: 'Expired', Problem: `exemption expired on ${until}` }
    : { Reason: reason, Until: until, State: 'Active', Problem: null };
}
