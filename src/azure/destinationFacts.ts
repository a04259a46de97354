import { z } from 'zod';
import type { ResourceFacts } from '../control/destinationFacts.js';

/*
 * The facts the control needs from ARM's answer for each evidence target, parsed at the edge: loosely (ARM adds
 * properties all the time), and only the fields read. A body that does not parse gives no facts: its destination
 * stays Unverified, never Blocked or too short on evidence that could not be read.
 *
 * Shapes, by type and api-version (azure-rest-api-specs):
 *   workspaces 2023-09-01              location, properties.customerId, properties.retentionInDays
 *   workspaces/tables 2022-10-01       properties.retentionInDays, properties.totalRetentionInDays
 *   storageAccounts 2023-05-01         location, properties.networkAcls.defaultAction / bypass ("AzureServices, Logging")
 *   managementPolicies 2023-05-01      properties.policy.rules[].{name, enabled, definition.filters, definition.actions}
 *   blobServices/…/containers          properties.immutabilityPolicy.properties.{immutabilityPeriodSinceCreationInDays, state}
 *   eventhub namespaces 2024-01-01     location, properties.publicNetworkAccess
 *   namespaces/networkRuleSets         properties.{defaultAction, publicNetworkAccess, trustedServiceAccessEnabled, ipRules, virtualNetworkRules}
 */

const text = z.string().nullish().transform((v) => v ?? null);
const days = z.number().int().nonnegative().nullish().transform((v) => v ?? null);
const list = z.array(z.unknown()).nullish().transform((v) => v ?? []);

const workspace = z.looseObject({
  location: text,
  properties: z.looseObject({ customerId: text, retentionInDays: days }),
});

const table = z.looseObject({ properties: z.looseObject({ retentionInDays: days, totalRetentionInDays: days }) });

const storageAccount = z.looseObject({
  location: text,
  properties: z.looseObject({
    networkAcls: z.looseObject({ defaultAction: text, bypass: text }).nullish(),
  }),
});

const deleteAction = z
  .looseObject({
    daysAfterModificationGreaterThan: days,
    daysAfterCreationGreaterThan: days,
    daysAfterLastAccessTimeGreaterThan: days,
  })
  .nullish();

const lifecycleRule = z.looseObject({
  name: z.string(),
  enabled: z.boolean().nullish(),
  definition: z.looseObject({
    filters: z.looseObject({ prefixMatch: z.array(z.string()).nullish(), blobTypes: z.array(z.string()).nullish() }).nullish(),
    actions: z.looseObject({ baseBlob: z.looseObject({ delete: deleteAction }).nullish() }),
  }),
});

const managementPolicy = z.looseObject({ properties: z.looseObject({ policy: z.looseObject({ rules: z.array(lifecycleRule) }) }) });

const container = z.looseObject({
  properties: z.looseObject({
    immutabilityPolicy: z
      .looseObject({ properties: z.looseObject({ immutabilityPeriodSinceCreationInDays: days, state: text }).nullish() })
      .nullish(),
  }),
});

const namespace = z.looseObject({ location: text, properties: z.looseObject({ publicNetworkAccess: text }) });

const networkRuleSet = z.looseObject({
  properties: z.looseObject({
    defaultAction: text,
    publicNetworkAccess: text,
    trustedServiceAccessEnabled: z.boolean().nullish().transform((v) => v ?? null),
    ipRules: list,
    virtualNetworkRules: list,
  }),
});

/** The earliest day a delete action fires, whichever clock it counts from. */
function deleteAfter(action: z.infer<typeof deleteAction>): number | null {
  const candidates = [action?.daysAfterModificationGreaterThan, action?.daysAfterCreationGreaterThan, action?.daysAfterLastAccessTimeGreaterThan];
  const set = candidates.filter((d): d is number => typeof d === 'number');
  return set.length === 0 ? null : Math.min(...set);
}

const parsers: Record<string, (body: unknown) => ResourceFacts | null> = {
  'microsoft.operationalinsights/workspaces': (body) => {
    const w = workspace.safeParse(body);
    return w.success ? { kind: 'workspace', location: w.data.location, ...w.data.properties } : null;
  },
  'microsoft.operationalinsights/workspaces/tables': (body) => {
    const t = table.safeParse(body);
    return t.success ? { kind: 'workspaceTable', ...t.data.properties } : null;
  },
  'microsoft.storage/storageaccounts': (body) => {
    const a = storageAccount.safeParse(body);
    if (!a.success) return null;
    const acls = a.data.properties.networkAcls;
    const bypass = (acls?.bypass ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    return { kind: 'storageAccount', location: a.data.location, defaultAction: acls?.defaultAction ?? null, bypass };
  },
  'microsoft.storage/storageaccounts/managementpolicies': (body) => {
    const p = managementPolicy.safeParse(body);
    if (!p.success) return null;
    const rules = p.data.properties.policy.rules.map((r) => ({
      name: r.name,
      // A rule is enabled unless it says otherwise (the API's default).
      enabled: r.enabled !== false,
      prefixes: r.definition.filters?.prefixMatch ?? [],
      blobTypes: r.definition.filters?.blobTypes ?? [],
      deleteAfterDays: deleteAfter(r.definition.actions.baseBlob?.delete),
    }));
    return { kind: 'lifecyclePolicy', rules };
  },
  'microsoft.storage/storageaccounts/blobservices/containers': (body) => {
    const c = container.safeParse(body);
    if (!c.success) return null;
    const policy = c.data.properties.immutabilityPolicy?.properties;
    return { kind: 'container', immutableDays: policy?.immutabilityPeriodSinceCreationInDays ?? null, immutabilityState: policy?.state ?? null };
  },
  'microsoft.eventhub/namespaces': (body) => {
    const n = namespace.safeParse(body);
    return n.success ? { kind: 'eventHubNamespace', location: n.data.location, publicNetworkAccess: n.data.properties.publicNetworkAccess } : null;
  },
  'microsoft.eventhub/namespaces/networkrulesets': (body) => {
    const r = networkRuleSet.safeParse(body);
    if (!r.success) return null;
    const { defaultAction, publicNetworkAccess, trustedServiceAccessEnabled, ipRules, virtualNetworkRules } = r.data.properties;
    return { kind: 'networkRuleSet', defaultAction, publicNetworkAccess, trustedServiceAccessEnabled, ruleCount: ipRules.length + virtualNetworkRules.length };
  },
};

/** The facts of a resource of `type` (lowercase) from ARM's body; null for another type or a body that does not parse. */
export function parseFacts(type: string, body: unknown): ResourceFacts | null {
  return parsers[type]?.(body) ?? null;
}
