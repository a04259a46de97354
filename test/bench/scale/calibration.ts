import { createHash } from 'node:crypto';

/*
 * A fixed piece of CPU work, run in the scanning process itself, that the scan's CPU time per vault is divided by:
 * the ratio stays the same on a faster or slower machine, where milliseconds would not. One unit parses and
 * re-serializes a typical diagnostic-settings answer and hashes it: the kind of work a scanner does per vault.
 */

const answer = JSON.stringify({
  value: [
    {
      id: '/subscriptions/00000000-0000-4000-8000-000000000001/resourcegroups/rg-payments-prod/providers/microsoft.keyvault/vaults/kv-payments-prod-00001/providers/microsoft.insights/diagnosticSettings/send-to-central-law',
      type: 'Microsoft.Insights/diagnosticSettings',
      name: 'send-to-central-law',
      properties: {
        storageAccountId: null,
        eventHubAuthorizationRuleId: null,
        workspaceId: '/subscriptions/00000000-0000-4000-8000-000000000002/resourceGroups/rg-platform-logging/providers/Microsoft.OperationalInsights/workspaces/law-central-weu',
        logs: [{ category: null, categoryGroup: 'audit', enabled: true, retentionPolicy: { enabled: false, days: 0 } }],
        metrics: [{ category: 'AllMetrics', timeGrain: null, enabled: true, retentionPolicy: { enabled: false, days: 0 } }],
      },
    },
  ],
});

let sink = 0;

function unit(): void {
  const parsed = JSON.parse(answer) as { value: unknown[] };
  const text = JSON.stringify(parsed);
  sink += createHash('sha256').update(text).digest()[0]! + parsed.value.length;
}

/** CPU milliseconds one unit takes in this process: the best of a few rounds, after a warm-up. */
export function calibrationUnitMs(units = 5_000, rounds = 4): number {
  for (let i = 0; i < units; i++) unit();
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < units; i++) unit();
    const cpu = process.cpuUsage(before);
    best = Math.min(best, (cpu.user + cpu.system) / 1000 / units);
  }
  if (sink < 0) throw new Error('unreachable');
  return best;
}
