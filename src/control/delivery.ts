import type { DeliveryCheck } from '../findings/schema.js';

/*
 * Whether audit logs are seen arriving: the latest AuditEvent of each vault in each destination workspace, as one
 * query per workspace per scan found it (src/azure/deliveryCheck.ts). An idle vault writes no audit events, so finding
 * none is evidence, never a failure. A vault whose events stop before its audit setting last changed, and not since,
 * is flagged: the change may have cut delivery.
 */

/** How far back the delivery query looks. */
export const deliveryLookbackDays = 30;
/**
 * Resource logs reach a workspace minutes after the event, sometimes more (Learn: "Log data ingestion time in Azure
 * Monitor"): a setting changed more recently than this has not had time to show events.
 */
export const deliveryGraceMs = 2 * 60 * 60 * 1000;

export type WorkspaceDelivery =
  | { readonly state: 'Queried'; readonly lastEvents: ReadonlyMap<string, Date> }
  | { readonly state: 'Unavailable'; readonly why: string };

/** What the delivery check found, by normalized workspace id; null when KV_AUDIT_VERIFY_DELIVERY is off. */
export type DeliveryEvidence = ReadonlyMap<string, WorkspaceDelivery> | null;

export interface DeliveryVerdict {
  readonly check: DeliveryCheck;
  readonly lastAuditEventAt: Date | null;
  /** A sentence for the finding's Detail; empty when nothing was checked. */
  readonly note: string;
}

export function deliveryVerdict(
  resourceId: string,
  workspaceIds: readonly string[],
  auditSettingChangedAt: Date | null,
  evidence: DeliveryEvidence,
  now: Date,
): DeliveryVerdict {
  if (evidence === null) return { check: 'NotChecked', lastAuditEventAt: null, note: '' };
  const answers = workspaceIds.flatMap((id) => {
    const answer = evidence.get(id);
    return answer ? [answer] : [];
  });
  const queried = answers.filter((a): a is Extract<WorkspaceDelivery, { state: 'Queried' }> => a.state === 'Queried');
  if (queried.length === 0) {
    const why = answers.find((a): a is Extract<WorkspaceDelivery, { state: 'Unavailable' }> => a.state === 'Unavailable')?.why;
    const reason = why ?? (workspaceIds.length === 0
        ? 'its audit logs go to no Log Analytics workspace'
        : 'no destination workspace could be queried (the scanner finds a workspace with Reader on it, and queries it with Log Analytics Reader)');
    return { check: 'Unverified', lastAuditEventAt: null, note: `Delivery not verified: ${reason}.` };
  }
  const times = queried.flatMap((q) => {
    const at = q.lastEvents.get(resourceId);
    return at ? [at.getTime()] : [];
  });
  if (times.length === 0) {
    return {
      check: 'NoEvents',
      lastAuditEventAt: null,
      note: `No AuditEvent from it in its workspaces over the last ${deliveryLookbackDays} days (an idle vault writes none).`,
    };
  }
  const last = new Date(Math.max(...times));
  const changed = auditSettingChangedAt;
  if (changed !== null && last < changed && now.getTime() - changed.getTime() > deliveryGraceMs) {
    return {
      check: 'Stopped',
      lastAuditEventAt: last,
      note:
        `Audit events stopped: the latest arrived at ${last.toISOString()}, before its audit setting changed at ${changed.toISOString()}, ` +
        'and none since. An idle vault writes none, but check that the change did not cut delivery.',
    };
  }
  return { check: 'EventsSeen', lastAuditEventAt: last, note: `Latest AuditEvent seen arriving at ${last.toISOString()}.` };
}
