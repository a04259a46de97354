import type { Exemption } from '../findings/schema.js';
import { normalizeResourceId } from './resourceId.js';

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
export const readable = /[\p{L}\p{N}]/u;

export const exemptionGrammar = "'<reason>' or '<reason>; until=YYYY-MM-DD'";

export function isRealDate(value: string): boolean {
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

const today = (now: Date) => now.toISOString().slice(0, 10);

/** The exemption tag, read with its one grammar; `allowed` false (KV_AUDIT_TAG_EXEMPTIONS=off) reports it Disabled. */
export function readExemption(tags: Readonly<Record<string, string>>, tagName: string, now: Date, allowed = true): Exemption | null {
  const value = tagValue(tags, tagName);
  if (value === undefined) return null;

  const clause = untilClause.exec(value.trim());
  const reason = (clause?.groups?.['reason'] ?? value).trim();
  const until = clause?.groups?.['until'] ?? null;
  const tag = { Source: 'Tag', Scope: null, Reason: reason, Until: until, ApprovedBy: null } as const;
  const ignored = (State: 'Invalid' | 'Expired' | 'Disabled', problem: string): Exemption => ({ ...tag, State, Problem: problem });

  if (!allowed) {
    return ignored('Disabled', `self-service exemption tags are off (KV_AUDIT_TAG_EXEMPTIONS=off): only the central exemption list (KV_AUDIT_EXEMPTIONS) exempts`);
  }
  if (!readable.test(reason)) return ignored('Invalid', `tag '${tagName}' has no reason; write the justification in the tag value, as ${exemptionGrammar}`);
  if (looseExpiry.test(reason)) {
    return ignored('Invalid', `tag '${tagName}' seems to hold an end date outside the form ${exemptionGrammar}; write it as '; until=YYYY-MM-DD' at the end`);
  }
  if (until === null) return { ...tag, State: 'Active', Problem: null };
  if (!isRealDate(until)) return ignored('Invalid', `'until=${until}' is not a date in the form YYYY-MM-DD`);
  return until < today(now) ? ignored('Expired', `exemption expired on ${until}`) : { ...tag, State: 'Active', Problem: null };
}

/**
 * One entry of the central exemption list (KV_AUDIT_EXEMPTIONS), validated when the settings load: a resource, a
 * resource group or a subscription, why, until when, and who approved it. Whoever can tag a vault cannot write here.
 */
export interface CentralExemption {
  /** A resource, resource group or subscription id, normalized. */
  readonly scope: string;
  readonly reason: string;
  /** Last day (UTC, YYYY-MM-DD) it applies. */
  readonly expires: string;
  readonly approvedBy: string;
}

/** Whether `scope` is the resource itself or one of its ancestors, at a segment boundary. */
const covers = (scope: string, resourceId: string) => resourceId === scope || resourceId.startsWith(`${scope}/`);

/** The central-list entry that exempts a resource: the most specific active one, else the most specific expired one. */
export function centralExemption(resourceId: string, entries: readonly CentralExemption[], now: Date): Exemption | null {
  const id = normalizeResourceId(resourceId);
  const matching = entries.filter((e) => covers(e.scope, id)).sort((a, b) => b.scope.length - a.scope.length);
  const active = matching.find((e) => e.expires >= today(now));
  const entry = active ?? matching[0];
  if (entry === undefined) return null;
  const base = { Source: 'CentralList', Scope: entry.scope, Reason: entry.reason, Until: entry.expires, ApprovedBy: entry.approvedBy } as const;
  return active ? { ...base, State: 'Active', Problem: null } : { ...base, State: 'Expired', Problem: `central exemption list entry expired on ${entry.expires}` };
}
