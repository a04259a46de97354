import { z } from 'zod';
import { normalizeResourceId, parseResourceId, settingOwner, subscriptionIdOf } from './armIds.js';
import { resourceNotFound } from './diagnosticSettings.js';
import type { EstateDiagnosticSetting } from './estate.js';
import type { EstateIndex } from './estateIndex.js';
import { type EmulatorResponse, errorResponse, unwrappedErrorResponse } from './http.js';

/*
 * PUT {resourceId}/providers/Microsoft.Insights/diagnosticSettings/{name}?api-version=2021-05-01-preview: ARM's
 * createOrUpdate (spec example createOrUpdateDiagnosticSetting.json), which `kv-audit fix --apply` calls. A created
 * setting is served by the list API from then on, with systemData saying when it changed.
 *
 * As hostile as Azure, in the order Azure checks:
 *   - 404 ResourceNotFound for a resource that does not exist; 403 AuthorizationFailed in a subscription out of
 *     sight, or for a resource in `writeDenied` (the caller lacks Microsoft.Insights/diagnosticSettings/write);
 *   - 400 "Diagnostic settings does not support retention for new diagnostic settings." when an entry enables the
 *     retired retentionPolicy (Azure/avdaccelerator#473 and others quote it verbatim);
 *   - 409 Conflict when another setting of the resource already sends one of the same log categories to the same
 *     destination ("Data sink … is already used in diagnostic setting …", Microsoft.Insights' unwrapped body,
 *     as the diagnostic-settings troubleshooting pages quote it);
 *   - 400 when a sixth setting would be created ("Each resource can have up to five diagnostic settings", Learn),
 *     when no destination is set, or when a destination does not exist. Those messages are the emulator's own.
 */

const writePath = /^\/+(subscriptions\/[^/]+\/.+?)\/providers\/microsoft\.insights\/diagnosticsettings\/([^/]+)\/?$/i;

export interface SettingWriteTarget {
  readonly resourceId: string;
  readonly subscriptionId: string;
  readonly name: string;
}

export function settingWriteTarget(method: string, path: string): SettingWriteTarget | null {
  const match = method === 'PUT' ? writePath.exec(path) : null;
  if (!match?.[1] || !match[2]) return null;
  const resourceId = `/${match[1]}`;
  return { resourceId, subscriptionId: subscriptionIdOf(resourceId) ?? '', name: match[2] };
}

const retention = z.looseObject({ enabled: z.boolean().optional(), days: z.number().optional() }).nullish();
const entry = z.looseObject({ category: z.string().nullish(), categoryGroup: z.string().nullish(), enabled: z.boolean(), retentionPolicy: retention });
const id = z.string().nullish();
const bodySchema = z.looseObject({
  properties: z.looseObject({
    workspaceId: id,
    storageAccountId: id,
    eventHubAuthorizationRuleId: id,
    eventHubName: id,
    serviceBusRuleId: id,
    marketplacePartnerId: id,
    logAnalyticsDestinationType: z.string().nullish(),
    logs: z.array(entry).optional(),
    metrics: z.array(entry.omit({ categoryGroup: true })).optional(),
  }),
});
type SettingProperties = z.infer<typeof bodySchema>['properties'];

const destinationFields = ['workspaceId', 'storageAccountId', 'eventHubAuthorizationRuleId', 'marketplacePartnerId', 'serviceBusRuleId'] as const;
const maxSettings = 5;

const badRequest = (message: string) => unwrappedErrorResponse(400, 'BadRequest', message);

/** The enabled log categories (or groups) of a setting. */
function enabledLogs(properties: unknown): string[] {
  const logs = (properties as { logs?: unknown } | null)?.logs;
  if (!Array.isArray(logs)) return [];
  return logs.flatMap((e: { enabled?: unknown; category?: unknown; categoryGroup?: unknown }) =>
    e?.enabled === true ? [String(e.category ?? e.categoryGroup ?? '')] : [],
  );
}

/** Another setting that already sends a log category to one of these destinations: Azure refuses the same sink twice. */
function sinkConflict(others: readonly EstateDiagnosticSetting[], properties: SettingProperties): EmulatorResponse | null {
  const wanted = enabledLogs(properties);
  if (wanted.length === 0) return null;
  for (const other of others) {
    const theirs = other.properties as Record<string, unknown> | null | undefined;
    const theirLogs = enabledLogs(theirs);
    for (const field of destinationFields) {
      const sink = properties[field];
      const theirSink = theirs?.[field];
      if (sink && typeof theirSink === 'string' && normalizeResourceId(theirSink) === normalizeResourceId(sink) && theirLogs.length > 0) {
        return unwrappedErrorResponse(
          409,
          'Conflict',
          `Data sink '${sink}' is already used in diagnostic setting '${other.name}' for category '${theirLogs[0]}'. ` +
            "Data sinks can't be reused in different settings on the same category for the same resource.",
        );
      }
    }
  }
  return null;
}

export interface SettingWrite {
  readonly response: EmulatorResponse;
  /** The setting to store, replacing one of the same name. */
  readonly stored?: EstateDiagnosticSetting;
}

export function writeDiagnosticSetting(
  target: SettingWriteTarget,
  apiVersion: string | undefined,
  body: Buffer,
  index: EstateIndex,
  writeDenied: readonly string[],
  now: Date,
): SettingWrite {
  if (apiVersion === undefined || !/^\d{4}-\d{2}-\d{2}/.test(apiVersion) || apiVersion.slice(0, 10) < '2021-05-01') {
    return { response: errorResponse(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion ?? ''}' is invalid for diagnostic settings with category groups.`) };
  }
  const resourceKey = normalizeResourceId(target.resourceId);
  const resource = index.resourcesById.get(resourceKey);
  const denied =
    !index.visibleSubscriptions.has(target.subscriptionId.toLowerCase()) || writeDenied.some((d) => normalizeResourceId(d) === resourceKey);
  if (denied) {
    return {
      response: errorResponse(
        403,
        'AuthorizationFailed',
        `The client does not have authorization to perform action 'Microsoft.Insights/diagnosticSettings/write' over scope ` +
          `'${target.resourceId}/providers/Microsoft.Insights/diagnosticSettings/${target.name}' or the scope is invalid.`,
      ),
    };
  }
  if (!resource || index.deletedAfterInventory.has(resourceKey)) return { response: resourceNotFound(target.resourceId) };
  let properties: SettingProperties;
  try {
    properties = bodySchema.parse(JSON.parse(body.toString('utf8'))).properties;
  } catch (error) {
    return { response: badRequest(`The request body is not a diagnostic setting: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`) };
  }
  if ([...(properties.logs ?? []), ...(properties.metrics ?? [])].some((e) => e.retentionPolicy?.enabled === true)) {
    return { response: badRequest('Diagnostic settings does not support retention for new diagnostic settings.') };
  }
  const destinations = destinationFields.filter((f) => properties[f]);
  if (destinations.length === 0) return { response: badRequest('A diagnostic setting needs at least one destination.') };
  for (const field of destinations) {
    const destination = properties[field] ?? '';
    const owner = parseResourceId(destination);
    if (field !== 'marketplacePartnerId' && (owner === null || !index.resourcesById.has(normalizeResourceId(destination)))) {
      return { response: badRequest(`The ${field} '${destination}' does not exist.`) };
    }
  }
  const existing = resource.settings;
  const others = existing.filter((s) => s.name.toLowerCase() !== target.name.toLowerCase());
  const replaced = existing.find((s) => s.name.toLowerCase() === target.name.toLowerCase());
  if (!replaced && existing.length >= maxSettings) {
    return { response: badRequest(`The resource already has ${existing.length} diagnostic settings; at most ${maxSettings} are allowed per resource.`) };
  }
  const conflict = sinkConflict(others, properties);
  if (conflict) return { response: conflict };
  const at = now.toISOString();
  const stored: EstateDiagnosticSetting = {
    id: `${resourceKey}/providers/microsoft.insights/diagnosticSettings/${target.name}`,
    type: 'Microsoft.Insights/diagnosticSettings',
    name: target.name,
    properties: {
      storageAccountId: properties.storageAccountId ?? null,
      serviceBusRuleId: properties.serviceBusRuleId ?? null,
      eventHubAuthorizationRuleId: properties.eventHubAuthorizationRuleId ?? null,
      eventHubName: properties.eventHubName ?? null,
      workspaceId: properties.workspaceId ?? null,
      marketplacePartnerId: properties.marketplacePartnerId ?? null,
      logAnalyticsDestinationType: properties.logAnalyticsDestinationType ?? null,
      metrics: (properties.metrics ?? []).map((m) => ({ category: m.category ?? null, enabled: m.enabled, retentionPolicy: { enabled: false, days: 0 } })),
      logs: (properties.logs ?? []).map((l) => ({ category: l.category ?? null, categoryGroup: l.categoryGroup ?? null, enabled: l.enabled, retentionPolicy: { enabled: false, days: 0 } })),
    },
    systemData: { createdAt: replaced ? (replaced['systemData'] as { createdAt?: string } | undefined)?.createdAt ?? at : at, lastModifiedAt: at },
  };
  // The stored id must name this resource, as the list API's does.
  if (settingOwner(stored.id)?.resourceId !== resourceKey) return { response: badRequest(`'${target.name}' is not a setting name.`) };
  return { response: { status: 200, body: stored }, stored };
}
