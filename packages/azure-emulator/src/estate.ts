import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { guidPattern, normalizeResourceId, parseResourceId, settingOwner } from './armIds.js';
import { EmulatorInputError, describeError } from './errors.js';
import { checkProofReferences, proofEstateFields, proofReferencesShape } from './estateProof.js';

/*
 * An estate: the Azure resources and diagnostic settings the emulator serves.
 * Only what the emulator itself relies on is validated (ids, names, types, that
 * lists are lists). Diagnostic setting bodies are kept verbatim, malformed ones
 * included, because the scanner must cope with whatever the real API returns.
 */

const guid = z.string().regex(guidPattern, 'must be a GUID');

type JsonValue = z.infer<ReturnType<typeof z.json>>;

/** Plain JSON data, as z.json() accepts: checked directly, since z.json() alone took seconds over 100,000 resources. */
function isJson(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && Object.values(value).every(isJson);
}
const json = z.custom<JsonValue>(isJson, 'must be JSON data');

function checkResource(resource: { readonly id: string; readonly name: string; readonly type: string }, ctx: z.RefinementCtx): void {
  const parts = parseResourceId(resource.id);
  if (!parts) {
    ctx.addIssue({ code: 'custom', path: ['id'], message: `'${resource.id}' is not a resource id (/subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>)` });
    return;
  }
  if (parts.name.toLowerCase() !== resource.name.toLowerCase()) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: `'${resource.name}' does not match the id's last segment '${parts.name}'` });
  }
  if (parts.type.toLowerCase() !== resource.type.toLowerCase()) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `'${resource.type}' does not match the id's type '${parts.type}'` });
  }
}

function checkSettingId(setting: { readonly id: string; readonly name: string }, ctx: z.RefinementCtx): void {
  const owner = settingOwner(setting.id);
  if (!owner) {
    ctx.addIssue({ code: 'custom', path: ['id'], message: `'${setting.id}' is not a diagnostic setting id (<resource id>/providers/microsoft.insights/diagnosticSettings/<name>)` });
  } else if (owner.name.toLowerCase() !== setting.name.toLowerCase()) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: `'${setting.name}' does not match the id's name '${owner.name}'` });
  }
}

/** Runs a check whenever the part of the input it reads is well-formed, even if other fields are not. */
function whenWellFormed(shape: z.ZodType) {
  return { when: (payload: { value: unknown }) => shape.safeParse(payload.value).success };
}

const identity = z.object({ id: z.string(), name: z.string(), type: z.string() });

/** Tag names to string values, checked in place: zod's record would drop a tag named `__proto__`, and hostile estates have one. */
const tagsSchema = z.custom<Record<string, string>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'),
  'must map tag names to strings',
);

const resourceSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    location: z.string(),
    tags: tagsSchema.optional(),
    properties: json.optional(),
    kind: z.string().optional(),
    sku: json.optional(),
    managedBy: z.string().optional(),
    plan: json.optional(),
    identity: json.optional(),
    zones: json.optional(),
    extendedLocation: json.optional(),
  })
  .superRefine(checkResource, whenWellFormed(identity));

/** A diagnostic setting exactly as the list API returns it; `properties` is served as-is, however malformed. */
const diagnosticSettingSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    properties: json.optional(),
  })
  .superRefine(checkSettingId, whenWellFormed(identity));

const bucketSchema = z.strictObject({ bucketSize: z.number().positive(), refillPerSecond: z.number().nonnegative() });

const armThrottlingSchema = z.strictObject({
  principalReads: bucketSchema.optional(),
  globalReads: bucketSchema.optional(),
  /** Tokens per second other principals (Policy, Defender, deployments) take from each subscription's global bucket. */
  othersDrainPerSecond: z.number().nonnegative().optional(),
});

const providerThrottleSchema = z.strictObject({
  subscriptionId: guid,
  /** The region of the resources it throttles. */
  location: z.string().min(1),
  retryAfterSeconds: z.int().positive(),
  /** The throttle starts with this read of a diagnostic setting in that subscription and region (1 = the first). */
  fromRead: z.int().positive().optional(),
});

const resourceGroupId = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/i;

/** What a change does, whatever makes it happen (changesDuringScan, timeline); applied in this order. */
const changeFields = {
  create: z.array(resourceSchema).optional(),
  /** Diagnostic settings of created resources, new ones of existing resources, or replacements (same id). */
  diagnosticSettings: z.array(diagnosticSettingSchema).optional(),
  /** Diagnostic setting ids deleted. */
  deleteDiagnosticSettings: z.array(z.string()).optional(),
  /** A resource's tags replaced, as the Tags API does (Microsoft.Resources/tags/write). */
  tags: z.array(z.strictObject({ resourceId: z.string(), tags: tagsSchema })).optional(),
  /** Resource ids deleted, with their diagnostic settings. */
  delete: z.array(z.string()).optional(),
  /**
   * Resource groups (`/subscriptions/{id}/resourceGroups/{name}`) deleted with everything in them. The Activity Log
   * gets the group's own delete only, not one per resource: the hostile reading of what Azure records.
   */
  deleteResourceGroups: z.array(z.string().regex(resourceGroupId, 'is not a resource group id')).optional(),
};

const changeSchema = z.strictObject({
  /** Applied once the emulator has answered this many Resource Graph pages (any query), before the next one. */
  afterArgPage: z.int().positive(),
  ...changeFields,
});

const timelineEntrySchema = z.strictObject({
  /** Applied once the emulator's clock has passed this many seconds since it started. */
  afterSeconds: z.number().nonnegative(),
  ...changeFields,
});

const estateShape = z.strictObject({
  tenantId: guid.optional(),
  resources: z.array(resourceSchema),
  diagnosticSettings: z.array(diagnosticSettingSchema),
  /** Resources whose settings read answers 403. */
  denied: z.array(z.string()),
  /** Resources whose settings read always answers 500. */
  unavailable: z.array(z.string()).optional(),
  /** Resources ARG still lists but ARM answers 404 for: deleted between the inventory and the settings read. */
  deletedAfterInventory: z.array(z.string()).optional(),
  /** Visible subscriptions that hold no resources. */
  subscriptions: z.array(guid).optional(),
  managementGroups: z.record(z.string(), z.array(guid)).optional(),
  /** Whether ARG's `resources` table also holds the diagnostic settings (real ARG does not, as far as public sources say). */
  resourceGraphIndexesDiagnosticSettings: z.boolean(),
  /** Resources ARM serves but ARG does not list yet: ARG reflects changes late, with no upper bound. */
  notInResourceGraph: z.array(z.string()).optional(),
  /** The estate changing while it is scanned: applied after the emulator has answered the given number of ARG pages. */
  changesDuringScan: z.array(changeSchema).optional(),
  /** Display names of subscriptions, as Resource Graph's resourcecontainers rows carry them. */
  subscriptionNames: z.record(guid, z.string()).optional(),
  /** Subscriptions a tenant or management-group query may span before ARG truncates or refuses it (ARG's: 10,000). */
  resourceGraphSubscriptionLimit: z.int().positive().optional(),
  /** ARM's read throttling: each principal's bucket per subscription, the global one shared by all principals, and how fast other principals drain it. */
  armThrottling: armThrottlingSchema.optional(),
  /** A resource provider (Microsoft.Insights) throttling one subscription and region on its own, for minutes. */
  providerThrottling: z.array(providerThrottleSchema).optional(),
  /** Settings per page of the ARM list API; later pages are linked with nextLink. Absent: one page. */
  diagnosticSettingsPageSize: z.int().positive().optional(),
  /** The estate changing over time, on the emulator's clock: each entry's ARM operations reach the Activity Log and Event Grid. */
  timeline: z.array(timelineEntrySchema).optional(),
  /** Seconds an operation takes to appear in the Activity Log list API (the real log lags by minutes). Default 0. */
  activityLogDelaySeconds: z.number().nonnegative().optional(),
  /** Entries per page of the Activity Log list API; later pages are linked with nextLink. Default 200. */
  activityLogPageSize: z.int().positive().optional(),
  ...proofEstateFields,
});

/** The ids a change names, which the cross-reference checks read. */
const referencedByChange = {
  create: z.array(z.object({ id: z.string() })).optional(),
  diagnosticSettings: z.array(z.object({ id: z.string() })).optional(),
  deleteDiagnosticSettings: z.array(z.string()).optional(),
  tags: z.array(z.object({ resourceId: z.string() })).optional(),
  delete: z.array(z.string()).optional(),
  deleteResourceGroups: z.array(z.string()).optional(),
};

/** What the cross-reference checks read. */
const referencesShape = z.object({
  resources: z.array(z.object({ id: z.string(), properties: z.unknown().optional() })),
  diagnosticSettings: z.array(z.object({ id: z.string() })),
  denied: z.array(z.string()),
  unavailable: z.array(z.string()).optional(),
  deletedAfterInventory: z.array(z.string()).optional(),
  notInResourceGraph: z.array(z.string()).optional(),
  changesDuringScan: z.array(z.object({ afterArgPage: z.number(), ...referencedByChange })).optional(),
  timeline: z.array(z.object({ afterSeconds: z.number(), ...referencedByChange })).optional(),
  ...proofReferencesShape,
});

function checkReferences(estate: z.infer<typeof referencesShape>, ctx: z.RefinementCtx): void {
  const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const resourceIds = new Map<string, number>();
  estate.resources.forEach((resource, i) => {
    const key = normalizeResourceId(resource.id);
    const first = resourceIds.get(key);
    if (first !== undefined) problem(['resources', i, 'id'], `duplicate of resources[${first}].id`);
    else resourceIds.set(key, i);
  });
  estate.diagnosticSettings.forEach((setting, i) => {
    const owner = settingOwner(setting.id);
    if (owner && !resourceIds.has(owner.resourceId)) {
      problem(['diagnosticSettings', i, 'id'], `belongs to '${owner.resourceId}', which is not in resources`);
    }
  });
  for (const field of ['denied', 'unavailable', 'deletedAfterInventory', 'notInResourceGraph'] as const) {
    (estate[field] ?? []).forEach((id, i) => {
      if (!resourceIds.has(normalizeResourceId(id))) problem([field, i], `'${id}' is not in resources`);
    });
  }
  checkProofReferences(estate, problem);
  // changesDuringScan and the timeline each run in their own order; either may also follow the other, so the
  // timeline is checked against the estate plus everything changesDuringScan creates.
  const settingIds = new Set(estate.diagnosticSettings.map((setting) => setting.id.trim().toLowerCase()));
  const created = (estate.changesDuringScan ?? []).flatMap((change) => (change.create ?? []).map((r) => normalizeResourceId(r.id)));
  checkChanges('changesDuringScan', 'afterArgPage', estate.changesDuringScan ?? [], new Set(resourceIds.keys()), new Set(settingIds), problem);
  checkChanges('timeline', 'afterSeconds', estate.timeline ?? [], new Set([...resourceIds.keys(), ...created]), settingIds, problem);
}

type ReferencingChange = z.infer<z.ZodObject<typeof referencedByChange>>;

/**
 * Changes in order: each may name what the estate holds or what an earlier change created; it may not create a
 * duplicate. `existing` and `settings` (normalized ids) are updated as the walk goes.
 */
function checkChanges<K extends string>(
  field: string,
  orderKey: K,
  changes: readonly (ReferencingChange & Record<K, number>)[],
  existing: Set<string>,
  settings: Set<string>,
  problem: (path: (string | number)[], message: string) => void,
): void {
  changes.forEach((change, c) => {
    const at = (...path: (string | number)[]) => [field, c, ...path];
    const previous = changes[c - 1];
    if (previous && change[orderKey] < previous[orderKey]) {
      problem(at(orderKey), `changes are applied in order: ${change[orderKey]} comes after ${previous[orderKey]}`);
    }
    (change.create ?? []).forEach((resource, i) => {
      const key = normalizeResourceId(resource.id);
      if (existing.has(key)) problem(at('create', i, 'id'), `'${resource.id}' already exists at that point`);
      existing.add(key);
    });
    (change.diagnosticSettings ?? []).forEach((setting) => settings.add(setting.id.trim().toLowerCase()));
    (change.deleteDiagnosticSettings ?? []).forEach((id, i) => {
      if (!settings.delete(id.trim().toLowerCase())) problem(at('deleteDiagnosticSettings', i), `'${id}' does not exist at that point`);
    });
    (change.tags ?? []).forEach(({ resourceId }, i) => {
      if (!existing.has(normalizeResourceId(resourceId))) problem(at('tags', i, 'resourceId'), `'${resourceId}' does not exist at that point`);
    });
    (change.delete ?? []).forEach((id, i) => {
      if (!existing.delete(normalizeResourceId(id))) problem(at('delete', i), `'${id}' does not exist at that point`);
    });
    (change.deleteResourceGroups ?? []).forEach((group, i) => {
      if (!resourceGroupId.test(group)) return; // said by the shape check
      const prefix = `${normalizeResourceId(group)}/`;
      const inGroup = [...existing].filter((key) => key.startsWith(prefix));
      if (inGroup.length === 0) problem(at('deleteResourceGroups', i), `'${group}' holds no resource at that point`);
      for (const key of inGroup) existing.delete(key);
    });
  });
}

export const estateSchema = estateShape.superRefine(checkReferences, whenWellFormed(referencesShape));
export type Estate = z.infer<typeof estateSchema>;
export type EstateResource = Estate['resources'][number];
export type EstateDiagnosticSetting = Estate['diagnosticSettings'][number];

/** `resources[3].type` from a zod issue path. */
function jsonPath(path: readonly PropertyKey[]): string {
  const text = path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  return text.startsWith('.') ? text.slice(1) : text || '(estate)';
}

/** Real ARM resources nest a few levels; a value deeper than this is hostile, and recursive checks would overflow the stack. */
const maxDepth = 64;

/** Where the first value nested deeper than `maxDepth` starts (its first three keys), found without recursion; null when none. */
function tooDeep(raw: unknown): string | null {
  const stack: { value: unknown; depth: number; head: readonly PropertyKey[] }[] = [{ value: raw, depth: 0, head: [] }];
  while (stack.length > 0) {
    const { value, depth, head } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth) return jsonPath(head);
    for (const [key, child] of Object.entries(value)) {
      stack.push({ value: child, depth: depth + 1, head: depth < 3 ? [...head, Array.isArray(value) ? Number(key) : key] : head });
    }
  }
  return null;
}

/** zod's "Invalid input: expected boolean, received undefined", said as a person would. */
function inOurWords(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  const expected = String(issue.expected);
  return `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}, not ${Array.isArray(issue.input) ? 'an array' : issue.input === null ? 'null' : `a ${typeof issue.input}`}`;
}

/** Validates an estate, reporting every problem at once with its JSON path. */
export function parseEstate(raw: unknown, source = 'the estate'): Estate {
  const deep = tooDeep(raw);
  if (deep !== null) {
    throw new EmulatorInputError('InvalidEstate', `Invalid ${source}:`, { details: [`${deep} nests values more than ${maxDepth} levels deep`] });
  }
  const parsed = estateSchema.safeParse(raw, { error: inOurWords });
  if (parsed.success) return parsed.data;
  throw new EmulatorInputError('InvalidEstate', `Invalid ${source} (${parsed.error.issues.length} problem${parsed.error.issues.length === 1 ? '' : 's'}):`, {
    details: parsed.error.issues.map((issue) => `${jsonPath(issue.path)}: ${issue.message}`),
  });
}

export function readEstateFile(path: string): Estate {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EmulatorInputError('InvalidEstate', `Reading estate file ${path}: ${describeError(error)}`, { cause: error });
  }
  return parseEstate(raw, `estate file ${path}`);
}

/** What a change does, whatever triggers it: a changesDuringScan or timeline entry, or a write the emulator serves. */
export type EstateChange = z.infer<z.ZodObject<typeof changeFields>>;
