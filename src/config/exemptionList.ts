import { z } from 'zod';
import { type CentralExemption, isRealDate, readable } from '../control/exemption.js';
import { normalizeResourceId, parseResourceId } from '../control/resourceId.js';

/*
 * KV_AUDIT_EXEMPTIONS: the central exemption list, a JSON array in an app setting. An app setting, not a tag or a
 * blob: changing it takes Website Contributor on the function app (Microsoft.Web/sites/config/write), which vault
 * owners do not have; every change is an ARM operation in the Activity Log, and a deployment can own it as a
 * parameter; the app reads it with the other settings, so a bad list stops the app at start with every problem
 * named, and no new data-plane role or read is needed. Its size is bounded by what an app setting holds, which
 * suits a list of approved exceptions, not thousands of them.
 *
 *   [{ "scope": "/subscriptions/…/resourceGroups/rg-pki-prod", "reason": "…", "expires": "2027-03-31",
 *      "approvedBy": "ciso-office@example.com" }]
 */

const entrySchema = z.strictObject({
  scope: z
    .string()
    .refine((scope) => parseResourceId(scope) !== null, 'must be a subscription, resource group or resource id (/subscriptions/<guid>[/resourceGroups/<group>[/providers/…]])'),
  reason: z.string().refine((reason) => readable.test(reason), 'must say why, in words'),
  expires: z.string().refine(isRealDate, 'must be the last exempt day, YYYY-MM-DD (every central exemption ends)'),
  approvedBy: z.string().refine((who) => readable.test(who), 'must name who approved it'),
});

/** The list's entries, or every problem with it, each naming the entry and field. */
export function parseExemptionList(text: string): { entries: CentralExemption[]; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { entries: [], problems: [`KV_AUDIT_EXEMPTIONS: not JSON (${error instanceof Error ? error.message : String(error)})`] };
  }
  const parsed = z.array(z.unknown(), 'must be a JSON array of exemptions').safeParse(raw);
  if (!parsed.success) return { entries: [], problems: ['KV_AUDIT_EXEMPTIONS: must be a JSON array of exemptions'] };
  const entries: CentralExemption[] = [];
  const problems: string[] = [];
  const scopes = new Map<string, number>();
  parsed.data.forEach((item, i) => {
    const entry = entrySchema.safeParse(item);
    if (!entry.success) {
      problems.push(...entry.error.issues.map((issue) => `KV_AUDIT_EXEMPTIONS[${i}]${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`));
      return;
    }
    const scope = normalizeResourceId(entry.data.scope);
    const first = scopes.get(scope);
    if (first !== undefined) {
      problems.push(`KV_AUDIT_EXEMPTIONS[${i}].scope: '${entry.data.scope}' is already exempted by entry ${first}; one entry per scope`);
      return;
    }
    scopes.set(scope, i);
    entries.push({ scope, reason: entry.data.reason.trim(), expires: entry.data.expires, approvedBy: entry.data.approvedBy.trim() });
  });
  return { entries, problems };
}
