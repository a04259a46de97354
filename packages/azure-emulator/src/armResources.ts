import { normalizeResourceId, parseResourceId, subscriptionIdOf } from './armIds.js';
import { resourceNotFound } from './diagnosticSettings.js';
import type { EstateIndex } from './estateIndex.js';
import { type EmulatorResponse, errorResponse } from './http.js';

/*
 * GET /{resourceId}?api-version=…: ARM's read of one resource, which the scanner uses to confirm that a
 * destination exists (ARG lags behind ARM). Child resources such as an event hub's authorization rules are
 * served too: ARG does not list them.
 */

export interface ResourceTarget {
  readonly resourceId: string;
  readonly subscriptionId: string;
}

/** The resource a GET names, or null when the path is not a resource id. */
export function resourceTarget(path: string): ResourceTarget | null {
  const resourceId = `/${path.replace(/^\/+/, '')}`;
  const parts = parseResourceId(resourceId);
  return parts ? { resourceId, subscriptionId: subscriptionIdOf(resourceId) ?? '' } : null;
}

export function getResource(target: ResourceTarget, apiVersion: string | undefined, index: EstateIndex): EmulatorResponse {
  if (apiVersion === undefined) {
    return errorResponse(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  // A subscription the identity cannot read answers 403, never 404: its contents are out of sight.
  if (!index.visibleSubscriptions.has(target.subscriptionId)) {
    return errorResponse(
      403,
      'AuthorizationFailed',
      `The client does not have authorization to perform action 'read' over scope '${target.resourceId}' or the scope is invalid.`,
    );
  }
  const id = normalizeResourceId(target.resourceId);
  const indexed = index.resourcesById.get(id);
  if (!indexed || index.deletedAfterInventory.has(id)) return resourceNotFound(target.resourceId);
  const { resource } = indexed;
  return {
    status: 200,
    body: { id: resource.id, name: resource.name, type: resource.type, location: resource.location, tags: resource.tags ?? {}, properties: resource.properties ?? {} },
  };
}
