import { z } from 'zod';
import type { ArmAttempt } from '../azure/armReadQueue.js';
import { throttleOf } from '../azure/armDiagnosticSettings.js';
import { describeArmError } from '../azure/armError.js';
import type { InventoryItem } from '../azure/inventory.js';
import type { Settings } from '../config/settings.js';
import type { VaultResource } from '../control/auditLogging.js';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { normalizeResourceId, parseResourceId, resourceIdUnder } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import type { ControlStatus, FindingRow } from '../findings/schema.js';
import type { ScanState } from '../state/scanState.js';
import { evaluator, finishedScanRow, removedRow, scanCollaborators, writeScanRow } from './evaluation.js';
import type { ScanDependencies, ScanResult } from './runScan.js';

/*
 * The event path: Azure says something changed (Event Grid, for every write and delete ARM accepts in a
 * subscription), and the resources it may have changed the finding of are evaluated again at once. An event only
 * says "look again": the ARM read decides, so a duplicate, late, out-of-order or forged event can cost a read but
 * never buy a verdict, and a lost one is caught by the next scheduled scan (the Activity Log keeps what the event
 * said). Each batch writes its findings, a Removed row for a resource that is gone, and a scan row (Trigger Event).
 */

const vaultTypes = new Set(auditLoggingControl.resourceTypes);

/** The ARM api-version vaults and Managed HSMs are read with. */
const keyVaultApiVersion = '2025-05-01';

/** What the event path reads of an Event Grid event; everything else in it is ignored. */
const azureEventSchema = z.looseObject({
  id: z.string(),
  eventType: z.string(),
  subject: z.string(),
  eventTime: z.string(),
  data: z.looseObject({ operationName: z.string().nullish(), resourceUri: z.string().nullish() }).nullish(),
});
export type AzureEvent = z.infer<typeof azureEventSchema>;

/** An event as the queue holds it: Event Grid's schema, or not an event at all (said, and dropped). */
export function parseAzureEvent(body: unknown): AzureEvent | string {
  const parsed = azureEventSchema.safeParse(typeof body === 'string' ? safeJson(body) : body);
  return parsed.success ? parsed.data : `not an Event Grid event (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The vaults and Managed HSMs (normalized ids) whose finding an event may change: the one it names, or one the
 * named resource lies under (a diagnostic setting, its tags), or every one whose audit logs went to a destination
 * it deleted (from the last scan's state: without one, the next scheduled scan finds them).
 */
export function resourcesNamedBy(event: AzureEvent, state: ScanState | null): Set<string> {
  const uri = event.data?.resourceUri ?? event.subject;
  const vault = resourceIdUnder(uri, vaultTypes);
  if (vault) return new Set([vault]);
  const gone = normalizeResourceId(uri);
  const named = new Set<string>();
  if (!/ResourceDeleteSuccess$/i.test(event.eventType) || state === null) return named;
  for (const id of state.resources.idsRestingOn((d) => d === gone || d.startsWith(`${gone}/`))) named.add(id);
  return named;
}

const vaultRecordSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  location: z.string(),
  tags: z.record(z.string(), z.string()).nullish(),
  properties: z.looseObject({ tenantId: z.string().nullish() }).nullish(),
});

type VaultRead = { readonly resource: VaultResource } | 'Gone' | { readonly failure: string };

/** The resource's ARM record as the inventory would list it; Gone on 404, a failure otherwise. */
function vaultFromAnswer(status: number, body: unknown): VaultRead {
  if (status === 404) return 'Gone';
  if (status !== 200) return { failure: describeArmError(status, body).summary };
  const record = vaultRecordSchema.safeParse(body);
  const parts = record.success ? parseResourceId(record.data.id) : null;
  if (!record.success || parts === null || parts.resourceGroup === null) return { failure: 'ARM answered with no usable resource record' };
  return {
    resource: {
      id: record.data.id,
      name: record.data.name,
      type: record.data.type.toLowerCase(),
      subscriptionId: parts.subscriptionId,
      resourceGroup: parts.resourceGroup,
      location: record.data.location,
      tenantId: record.data.properties?.tenantId ?? '',
      tags: record.data.tags ? Object.fromEntries(Object.entries(record.data.tags)) : {},
    },
  };
}

/** Whether a resource is in the scan's scope as far as its id tells: management groups are not, so any is. */
function inScope(settings: Settings, id: string): boolean {
  if (settings.scope.Kind !== 'Subscriptions') return true;
  const subscription = parseResourceId(id)?.subscriptionId;
  return subscription !== undefined && settings.scope.Ids.includes(subscription);
}

/** Evaluates the named resources again, writes what it found, and a scan row that says so. */
export async function evaluateNamedResources(settings: Settings, ids: ReadonlySet<string>, deps: ScanDependencies): Promise<ScanResult> {
  const { clients, log } = deps;
  const startedAt = deps.now();
  const scanId = deps.newScanId();
  const countersBefore = { ...clients.counters };
  const collaborators = scanCollaborators(settings, deps);
  const { armReads, uploads } = collaborators;
  const errors: string[] = [];
  const counts: Record<ControlStatus, number> = { Pass: 0, Fail: 0, Exempt: 0, Error: 0 };
  let resourcesRead = 0;
  let written = 0;
  const evaluateItem = evaluator(collaborators, deps.now, {
    read: () => (resourcesRead += 1),
    readFailed: (item) => errors.push(`${item.resource.name} could not be read through ARM after retries (ReadFailed)`),
  });

  async function write(row: FindingRow): Promise<void> {
    written += 1;
    deps.onFinding?.(row);
    await uploads?.add(row);
  }

  async function readVault(id: string, subscriptionId: string): Promise<ArmAttempt<VaultRead>> {
    try {
      const response = await clients.getArmResource(id, keyVaultApiVersion);
      return { value: vaultFromAnswer(response.status, response.body), throttle: throttleOf(response, deps.now().getTime()) };
    } catch (error) {
      return { value: { failure: `${describeError(error)} (subscription ${subscriptionId})` }, throttle: null };
    }
  }

  async function reevaluate(id: string): Promise<void> {
    const subscriptionId = parseResourceId(id)?.subscriptionId;
    if (subscriptionId === undefined || !inScope(settings, id)) {
      log.info(`Event for ${id} ignored: outside the scan's scope.`);
      return;
    }
    const read = await armReads.run(subscriptionId, 'event', () => readVault(id, subscriptionId), (why) => ({ failure: why }));
    if (read === 'Gone') {
      await write(removedRow(id, scanId, deps.now(), settings.profile));
      return;
    }
    if ('failure' in read) {
      // Nothing is written: the next scheduled scan reads it (the Activity Log names it).
      errors.push(`${id} could not be read through ARM (${read.failure})`);
      return;
    }
    const item: InventoryItem = { resource: read.resource, argSettings: null, problem: null };
    const { finding } = await evaluateItem(item);
    counts[finding.Status] += 1;
    await write({ TimeGenerated: deps.now().toISOString(), ScanId: scanId, ...finding });
  }

  await Promise.all([...ids].map((id) => reevaluate(id).catch((error: unknown) => void errors.push(`Evaluating ${id}: ${describeError(error)}`))));
  let findingsWritten = 0;
  if (uploads) {
    const outcome = await uploads.finish();
    findingsWritten = outcome.accepted;
    errors.push(...outcome.failures);
  }
  const subscriptions = [...new Set([...ids].map((id) => parseResourceId(id)?.subscriptionId ?? ''))].filter((s) => s !== '');
  const scan = finishedScanRow(deps, { startedAt, counts, countersBefore }, {
    ScanId: scanId,
    Trigger: 'Event',
    Mode: 'Event',
    Since: null,
    Scope: { Kind: 'Subscriptions', Ids: subscriptions },
    Complete: errors.length === 0 && (deps.sink === null || findingsWritten === written),
    InventoryComplete: false,
    ResourceCount: ids.size,
    ResourcesRead: resourcesRead,
    FindingsWritten: findingsWritten,
    ResourceGraphHasDiagnosticSettings: false,
    Errors: errors,
  });
  const scanRowWritten = await writeScanRow(deps, scan);
  for (const error of errors) log.warn(error);
  return { scan, scanRowWritten, noAccess: false, state: null };
}

/** What one queue message came to: not an event, an event that names no vault, or the vaults it named evaluated. */
export type EventOutcome =
  | { readonly kind: 'NotAnEvent'; readonly why: string }
  | { readonly kind: 'NamesNoVault'; readonly event: AzureEvent }
  | { readonly kind: 'Evaluated'; readonly event: AzureEvent; readonly ids: ReadonlySet<string>; readonly result: ScanResult };

/**
 * One queue message, as the deployed function and `kv-audit demo --watch` both handle it. The last scan's state is
 * loaded only for an event that names no vault itself (a deleted destination: which vaults did it serve?).
 */
export async function handleEventMessage(
  message: unknown,
  settings: Settings,
  deps: ScanDependencies,
  lastScanState: () => Promise<ScanState | null>,
): Promise<EventOutcome> {
  const event = parseAzureEvent(message);
  if (typeof event === 'string') return { kind: 'NotAnEvent', why: event };
  const direct = resourcesNamedBy(event, null);
  const ids = direct.size > 0 ? direct : resourcesNamedBy(event, await lastScanState());
  if (ids.size === 0) return { kind: 'NamesNoVault', event };
  return { kind: 'Evaluated', event, ids, result: await evaluateNamedResources(settings, ids, deps) };
}

/** How the logs name an event: its id, and the operation it reports. */
export const eventLabel = (event: AzureEvent) => `${event.id} (${event.data?.operationName ?? event.eventType})`;
