import { normalizeResourceId, parseResourceId, settingOwner, subscriptionIdOf } from './armIds.js';
import type { Estate, EstateChange } from './estate.js';

/*
 * An estate change (changesDuringScan, a timeline entry, a write the emulator serves) applied, and the ARM operations
 * it stands for: what the Activity Log records and Event Grid announces. One operation per resource, setting or tag
 * set written or deleted, named as ARM names it (`<namespace>/<type>/write|delete`); deleting a resource takes its
 * settings along without an operation of their own, as ARM does not emit one for them.
 */

export interface ArmOperation {
  /** e.g. `Microsoft.Insights/diagnosticSettings/delete`. */
  readonly operationName: string;
  /** The resource written or deleted: a resource id, a setting id, or `<resource id>/providers/Microsoft.Resources/tags/default`. */
  readonly resourceUri: string;
  readonly action: 'write' | 'delete';
  /** Lowercased. */
  readonly subscriptionId: string;
  /** As the id spells it. */
  readonly resourceGroup: string;
  /** The namespace the operation belongs to (`Microsoft.Insights`). */
  readonly resourceProvider: string;
  /** An update or delete of something that existed (Event Grid then carries the request: `data.httpRequest`). */
  readonly existed: boolean;
}

function operation(operationName: string, resourceUri: string, existed: boolean): ArmOperation {
  const action = operationName.endsWith('/delete') ? 'delete' : 'write';
  return {
    operationName,
    resourceUri,
    action,
    subscriptionId: subscriptionIdOf(resourceUri) ?? '',
    resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(resourceUri)?.[1] ?? '',
    resourceProvider: operationName.split('/')[0] ?? '',
    existed,
  };
}

/** A setting's canonical id, `<resource id>/providers/Microsoft.Insights/diagnosticSettings/<name>`, whatever form the estate gives. */
function settingUri(settingId: string): string {
  const match = /^(.*?)(?:\/providers\/microsoft\.insights)?\/diagnosticsettings\/([^/]+)\/?$/i.exec(settingId.trim());
  return match ? `${match[1]}/providers/Microsoft.Insights/diagnosticSettings/${match[2]}` : settingId;
}

const settingKey = (id: string) => id.trim().toLowerCase();

/**
 * The estate after a change, and the operations it took: resources created (or replaced), settings written, settings
 * deleted, tags written, resources deleted, resource groups deleted, in that order. A part that names something absent at that point (the
 * timeline and changesDuringScan interleave at run time) is skipped: ARM would have answered 404 and logged nothing.
 */
export function applyEstateChange(estate: Estate, change: EstateChange): { estate: Estate; operations: ArmOperation[] } {
  const operations: ArmOperation[] = [];
  const resources = new Map(estate.resources.map((r) => [normalizeResourceId(r.id), r]));
  // A list, not a map: hostile estates list a setting id twice, and a change that does not touch it keeps both.
  let settings = estate.diagnosticSettings;
  const hasSetting = (key: string) => settings.some((s) => settingKey(s.id) === key);
  for (const resource of change.create ?? []) {
    const key = normalizeResourceId(resource.id);
    const existed = resources.has(key);
    resources.set(key, resource);
    operations.push(operation(`${parseResourceId(resource.id)?.type ?? resource.type}/write`, resource.id, existed));
  }
  for (const setting of change.diagnosticSettings ?? []) {
    const owner = settingOwner(setting.id);
    if (!owner || !resources.has(owner.resourceId)) continue;
    const key = settingKey(setting.id);
    const existed = hasSetting(key);
    settings = [...settings.filter((s) => settingKey(s.id) !== key), setting];
    operations.push(operation('Microsoft.Insights/diagnosticSettings/write', settingUri(setting.id), existed));
  }
  for (const id of change.deleteDiagnosticSettings ?? []) {
    const key = settingKey(id);
    if (!hasSetting(key)) continue;
    settings = settings.filter((s) => settingKey(s.id) !== key);
    operations.push(operation('Microsoft.Insights/diagnosticSettings/delete', settingUri(id), true));
  }
  for (const { resourceId, tags } of change.tags ?? []) {
    const key = normalizeResourceId(resourceId);
    const resource = resources.get(key);
    if (!resource) continue;
    resources.set(key, { ...resource, tags });
    operations.push(operation('Microsoft.Resources/tags/write', `${resource.id}/providers/Microsoft.Resources/tags/default`, true));
  }
  for (const id of change.delete ?? []) {
    const key = normalizeResourceId(id);
    const resource = resources.get(key);
    if (!resource) continue;
    resources.delete(key);
    settings = settings.filter((s) => settingOwner(s.id)?.resourceId !== key);
    operations.push(operation(`${parseResourceId(resource.id)?.type ?? resource.type}/delete`, resource.id, true));
  }
  for (const group of change.deleteResourceGroups ?? []) {
    const prefix = `${normalizeResourceId(group)}/`;
    const inGroup = [...resources.keys()].filter((key) => key.startsWith(prefix));
    if (inGroup.length === 0) continue;
    for (const key of inGroup) resources.delete(key);
    settings = settings.filter((s) => !(settingOwner(s.id)?.resourceId ?? '').startsWith(prefix));
    operations.push(operation('Microsoft.Resources/subscriptions/resourceGroups/delete', group, true));
  }
  return { estate: { ...estate, resources: [...resources.values()], diagnosticSettings: settings }, operations };
}
