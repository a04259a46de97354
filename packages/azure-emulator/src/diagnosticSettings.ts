import { randomUUID } from 'node:crypto';
import { normalizeResourceId, parseResourceId, subscriptionIdOf } from './armIds.js';
import type { EstateIndex } from './estateIndex.js';
import { type EmulatorResponse, errorResponse, unwrappedErrorResponse } from './http.js';

/*
 * GET /{resourceId}/providers/Microsoft.Insights/diagnosticSettings: the ARM list API
 * (2021-05-01-preview), serving each resource's settings verbatim, in one page.
 */

// The arm-monitor SDK sends `//subscriptions/…` when given an id with a leading slash; ARM tolerates it.
const listPath = /^\/+(subscriptions\/[^/]+\/.+?)\/providers\/microsoft\.insights\/diagnosticsettings\/?$/i;

/** Category groups (`audit`, `allLogs`) exist from this api-version on. */
const minimumApiVersion = '2021-05-01';

/** The identity ARM names in its 403 messages. */
const emulatorPrincipalId = '5b1c2a3d-7e8f-4a9b-8c0d-1e2f3a4b5c6d';

export interface DiagnosticSettingsTarget {
  readonly resourceId: string;
  readonly subscriptionId: string;
}

/** The resource a list request is for, or null when the path is not a diagnostic settings list. */
export function diagnosticSettingsTarget(path: string): DiagnosticSettingsTarget | null {
  const match = listPath.exec(path);
  if (!match?.[1]) return null;
  const resourceId = `/${match[1]}`;
  return { resourceId, subscriptionId: subscriptionIdOf(resourceId) ?? '' };
}

export function resourceNotFound(resourceId: string): EmulatorResponse {
  const parts = parseResourceId(resourceId);
  const message = parts
    ? `The Resource '${parts.type}/${parts.name}' under resource group '${parts.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`
    : `The Resource '${resourceId}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`;
  return errorResponse(404, 'ResourceNotFound', message);
}

/** How a list is paged: at most `size` settings per page, later pages linked with `nextLink`. */
export interface SettingsPaging {
  readonly size: number;
  /** Where the list continues at `offset`: the absolute URL of the next page. */
  readonly linkTo: (offset: number) => string;
}

export function listDiagnosticSettings(
  target: DiagnosticSettingsTarget,
  query: ReadonlyMap<string, string>,
  index: EstateIndex,
  paging: SettingsPaging | null,
): EmulatorResponse {
  const apiVersion = query.get('api-version');
  if (apiVersion === undefined) {
    return errorResponse(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(apiVersion) || apiVersion.slice(0, 10) < minimumApiVersion) {
    return errorResponse(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The emulator serves diagnostic settings from api-version ${minimumApiVersion}-preview on, the first with category groups.`,
    );
  }
  const id = normalizeResourceId(target.resourceId);
  const resource = index.resourcesById.get(id);
  if (!resource || index.deletedAfterInventory.has(id)) return resourceNotFound(target.resourceId);
  if (index.denied.has(id)) {
    return errorResponse(
      403,
      'AuthorizationFailed',
      `The client '${emulatorPrincipalId}' with object id '${emulatorPrincipalId}' does not have authorization to perform action ` +
        `'Microsoft.Insights/diagnosticSettings/read' over scope '${target.resourceId}/providers/Microsoft.Insights/diagnosticSettings' ` +
        'or the scope is invalid. If access was recently granted, please refresh your credentials.',
    );
  }
  if (index.unavailable.has(id)) {
    // Microsoft.Insights' own failures come without ARM's error envelope.
    return unwrappedErrorResponse(
      500,
      'InternalServerError',
      `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', ` +
        `subscription id '${target.subscriptionId}', tracking id '${randomUUID()}', request correlation id '${randomUUID()}'.`,
    );
  }
  if (paging === null) return { status: 200, body: { value: resource.settings } };
  // Real lists come in one page today, but the API is pageable and the SDK follows nextLink.
  const offset = Number(query.get('$skiptoken') ?? 0) || 0;
  const value = resource.settings.slice(offset, offset + paging.size);
  const more = offset + value.length < resource.settings.length;
  return { status: 200, body: { value, ...(more ? { nextLink: paging.linkTo(offset + value.length) } : {}) } };
}
