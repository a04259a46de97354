import { z } from 'zod';
import { normalizeResourceId, parseResourceId } from './armIds.js';

/*
 * The estate fields behind "proof that audit logs can arrive": what the destination workspaces hold, and who may
 * query them or write diagnostic settings. Kept apart from estate.ts so the estate's other concerns change on
 * their own. Destination network rules, regions and retention need no field: they are ordinary resources of the
 * estate (storage accounts with networkAcls, workspaces/tables, storageAccounts/managementPolicies, blob
 * containers, Event Hubs namespaces/networkRuleSets), served by ARM's GET as Azure serves them.
 */

const row = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be an object (a row)');

export const proofEstateFields = {
  /**
   * The rows of each workspace's tables, by workspace resource id and table name (AZKVAuditLogs, AzureDiagnostics,
   * …), which the Log Analytics query API runs KQL over. A table that is not listed does not exist yet: Log Analytics
   * creates a table when data first reaches it.
   */
  workspaceLogs: z.record(z.string(), z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a table name'), z.array(row))).optional(),
  /** Workspaces whose query API answers 403 (no Log Analytics Reader). */
  queryDenied: z.array(z.string()).optional(),
  /** Resources whose diagnostic-settings writes answer 403 (the caller lacks Microsoft.Insights/diagnosticSettings/write). */
  writeDenied: z.array(z.string()).optional(),
};

/** What the cross-reference checks read of those fields. */
export const proofReferencesShape = {
  workspaceLogs: z.record(z.string(), z.unknown()).optional(),
  queryDenied: z.array(z.string()).optional(),
  writeDenied: z.array(z.string()).optional(),
};

interface ProofReferences {
  readonly resources: readonly { readonly id: string; readonly properties?: unknown }[];
  readonly workspaceLogs?: Readonly<Record<string, unknown>> | undefined;
  readonly queryDenied?: readonly string[] | undefined;
  readonly writeDenied?: readonly string[] | undefined;
}

const isWorkspace = (id: string) => parseResourceId(id)?.type.toLowerCase() === 'microsoft.operationalinsights/workspaces';

/** Logs and denials name workspaces (with a customerId, which the query API takes) and resources of the estate. */
export function checkProofReferences(estate: ProofReferences, problem: (path: (string | number)[], message: string) => void): void {
  const resources = new Map(estate.resources.map((r) => [normalizeResourceId(r.id), r]));
  const customerIdOf = (id: string) => {
    const properties = resources.get(normalizeResourceId(id))?.properties;
    return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>)['customerId'] : undefined;
  };
  for (const [field, values] of [
    ['workspaceLogs', Object.keys(estate.workspaceLogs ?? {})],
    ['queryDenied', estate.queryDenied ?? []],
  ] as const) {
    values.forEach((id, i) => {
      const path = field === 'workspaceLogs' ? [field, id] : [field, i];
      if (!isWorkspace(id) || !resources.has(normalizeResourceId(id))) problem(path, `'${id}' is not a Log Analytics workspace in resources`);
      else if (typeof customerIdOf(id) !== 'string') problem(path, `workspace '${id}' has no properties.customerId, which the query API takes`);
    });
  }
  (estate.writeDenied ?? []).forEach((id, i) => {
    if (!resources.has(normalizeResourceId(id))) problem(['writeDenied', i], `'${id}' is not in resources`);
  });
}
