import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { guidPattern, normalizeResourceId, parseResourceId, settingOwner } from './armIds.js';
import { EmulatorInputError, describeError } from './errors.js';

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

const resourceSchema = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    location: z.string(),
    tags: z.record(z.string(), z.string()).optional(),
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
});

/** What the cross-reference checks read. */
const referencesShape = z.object({
  resources: z.array(z.object({ id: z.string() })),
  diagnosticSettings: z.array(z.object({ id: z.string() })),
  denied: z.array(z.string()),
  unavailable: z.array(z.string()).optional(),
  deletedAfterInventory: z.array(z.string()).optional(),
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
  for (const field of ['denied', 'unavailable', 'deletedAfterInventory'] as const) {
    (estate[field] ?? []).forEach((id, i) => {
      if (!resourceIds.has(normalizeResourceId(id))) problem([field, i], `'${id}' is not in resources`);
    });
  }
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

/** Validates an estate, reporting every problem at once with its JSON path. */
export function parseEstate(raw: unknown, source = 'the estate'): Estate {
  const parsed = estateSchema.safeParse(raw);
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
