import { isRestError } from '@azure/core-rest-pipeline';
import { type LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import { z } from 'zod';
import { type WorkspaceDelivery, deliveryLookbackDays } from '../control/delivery.js';
import { normalizeResourceId } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { describeRestError } from './armError.js';

/*
 * KV_AUDIT_VERIFY_DELIVERY: one query per destination workspace per scan, through the Log Analytics query API
 * (@azure/monitor-query-logs, the SDK's own retries kept), for the latest AuditEvent of every Key Vault and Managed
 * HSM that writes there: in the resource-specific AZKVAuditLogs table or the legacy AzureDiagnostics one. `union
 * isfuzzy=true` because a workspace has a table only once data reached it (Learn: "Diagnostic settings in Azure
 * Monitor", destinations), and an empty datatable leg because a fuzzy union none of whose tables exists is an error
 * (Kusto docs, union operator: "If no resolutions were successful, the query returns an error"). No resource id
 * enters the query: it summarizes what the workspace holds, and each vault's row is picked here.
 *
 * The identity needs Log Analytics Reader (or Reader) on each destination workspace; without it the workspace
 * answers 403 and its vaults' delivery stays Unverified. Any other failure is reported, and the scan says it could
 * not verify delivery there.
 */

export const deliveryQuery = `// Latest Key Vault and Managed HSM AuditEvent per resource, from the resource-specific and the legacy table.
let lookback = ${deliveryLookbackDays}d;
union isfuzzy=true
    (AZKVAuditLogs
    | where TimeGenerated > ago(lookback)
    | project TimeGenerated, ResourceId = tolower(_ResourceId)),
    (AzureDiagnostics
    | where TimeGenerated > ago(lookback)
    | where ResourceProvider == 'MICROSOFT.KEYVAULT' and Category == 'AuditEvent'
    | project TimeGenerated, ResourceId = tolower(_ResourceId)),
    (datatable(TimeGenerated: datetime, ResourceId: string) [])
| summarize LastAuditEventAt = max(TimeGenerated) by ResourceId`;

/** Queries in flight at once: the query API allows a user a few hundred a minute, and a scan needs one per workspace. */
const concurrency = 4;

const rowSchema = z.tuple([z.string(), z.date()]);

/** Each resource's latest AuditEvent, by normalized id, from the query's one table. */
function lastEventsOf(table: LogsTable | undefined): Map<string, Date> | string {
  if (table === undefined) return 'the answer holds no table';
  const resource = table.columnDescriptors.findIndex((c) => c.name === 'ResourceId');
  const last = table.columnDescriptors.findIndex((c) => c.name === 'LastAuditEventAt');
  if (resource < 0 || last < 0) return 'the answer lacks the ResourceId and LastAuditEventAt columns';
  const events = new Map<string, Date>();
  for (const row of table.rows) {
    const parsed = rowSchema.safeParse([row[resource], row[last]]);
    if (!parsed.success) return `a row does not parse: ${parsed.error.issues[0]?.message ?? 'malformed'}`;
    events.set(normalizeResourceId(parsed.data[0]), parsed.data[1]);
  }
  return events;
}

export interface DeliveryCheck {
  /** Queries each workspace not asked about before (by normalized id, with its customer id); resolves when all answered. */
  check(workspaces: ReadonlyMap<string, string>): Promise<void>;
  /** What each queried workspace answered, by normalized workspace id. */
  readonly results: ReadonlyMap<string, WorkspaceDelivery>;
  /** Why workspaces could not be queried, and for how many, by distinct reason (403 excepted: that is out of sight). */
  readonly failures: ReadonlyMap<string, number>;
}

export function createDeliveryCheck(client: Pick<LogsQueryClient, 'queryWorkspace'>, options: { readonly abortSignal?: AbortSignal } = {}): DeliveryCheck {
  const results = new Map<string, WorkspaceDelivery>();
  const failures = new Map<string, number>();
  const asked = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let running = 0;

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }

  function failed(workspaceId: string, why: string): void {
    results.set(workspaceId, { state: 'Unavailable', why: `the query of workspace ${workspaceId} failed: ${why}` });
    failures.set(why, (failures.get(why) ?? 0) + 1);
  }

  async function query(workspaceId: string, customerId: string): Promise<void> {
    try {
      const answer = await slot(() =>
        client.queryWorkspace(customerId, deliveryQuery, { duration: `P${deliveryLookbackDays}D` }, options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      );
      if (answer.status !== LogsQueryResultStatus.Success) {
        failed(workspaceId, `partial result (${answer.partialError.code}: ${answer.partialError.message})`);
        return;
      }
      const events = lastEventsOf(answer.tables[0]);
      if (typeof events === 'string') failed(workspaceId, events);
      else results.set(workspaceId, { state: 'Queried', lastEvents: events });
    } catch (error) {
      if (isRestError(error) && (error.statusCode === 403 || error.statusCode === 401)) {
        results.set(workspaceId, { state: 'Unavailable', why: `the scanner's identity may not query workspace ${workspaceId} (it needs Log Analytics Reader there)` });
        return;
      }
      failed(workspaceId, isRestError(error) ? describeRestError(error).summary : describeError(error));
    }
  }

  return {
    results,
    failures,
    async check(workspaces) {
      const waits: Promise<void>[] = [];
      for (const [workspaceId, customerId] of workspaces) {
        let known = asked.get(workspaceId);
        if (!known) {
          known = query(workspaceId, customerId);
          asked.set(workspaceId, known);
        }
        waits.push(known);
      }
      await Promise.all(waits);
    },
  };
}
