import { RestError } from '@azure/core-rest-pipeline';
import { LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { describe, expect, it } from 'vitest';
import { createDeliveryCheck, deliveryQuery } from '../../src/azure/deliveryCheck.js';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { kqlProblems } from '../support/kusto.js';

/** KV_AUDIT_VERIFY_DELIVERY: one query per workspace, its answer parsed at the edge, failures told apart from missing roles. */

const workspace = '/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/law';
const vault = '/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv';

const answering = (answer: () => Promise<unknown>) => {
  const calls: string[] = [];
  const client = {
    queryWorkspace: async (id: string) => {
      calls.push(id);
      return answer();
    },
  } as unknown as Parameters<typeof createDeliveryCheck>[0];
  return { calls, check: createDeliveryCheck(client) };
};
const table = (rows: unknown[][]) => ({
  status: LogsQueryResultStatus.Success,
  tables: [{ name: 'PrimaryResult', columnDescriptors: [{ name: 'ResourceId', type: 'string' }, { name: 'LastAuditEventAt', type: 'datetime' }], rows }],
});

describe('the delivery query', () => {
  it('parses and binds against both Key Vault audit tables with no error or warning', () => {
    expect(kqlProblems(deliveryQuery, keyVaultAuditLogSchema)).toEqual([]);
  });

  it('carries no resource id: it summarizes the workspace, and each vault is picked from the answer', () => {
    expect(deliveryQuery).not.toMatch(/\/subscriptions\//i);
  });
});

describe('the delivery check', () => {
  it('asks each workspace once, however many vaults send there, and reads each vault\'s latest event', async () => {
    const { calls, check } = answering(async () => table([[vault.toUpperCase(), new Date('2026-11-22T09:00:00Z')]]));
    await Promise.all([check.check(new Map([[workspace, 'c1']])), check.check(new Map([[workspace, 'c1']]))]);
    expect(calls).toEqual(['c1']);
    expect(check.results.get(workspace)).toEqual({ state: 'Queried', lastEvents: new Map([[vault, new Date('2026-11-22T09:00:00Z')]]) });
  });

  it.each([
    { scenario: 'a 403 (no Log Analytics Reader) leaves it Unavailable, and is no failure of the scan', answer: () => Promise.reject(new RestError('denied', { statusCode: 403 })), failures: [] },
    { scenario: 'a 500 is a failure, counted by reason', answer: () => Promise.reject(new RestError('boom', { statusCode: 500 })), failures: [[expect.stringMatching(/boom/), 1]] },
    {
      scenario: 'a partial result is a failure: some of the workspace went unread',
      answer: async () => ({ status: LogsQueryResultStatus.PartialFailure, partialTables: [], partialError: { code: 'PartialError', message: 'some shards' } }),
      failures: [['partial result (PartialError: some shards)', 1]],
    },
    { scenario: 'a row that is not (id, datetime) is a failure', answer: async () => table([[vault, 'yesterday']]), failures: [[expect.stringMatching(/^a row does not parse/), 1]] },
  ])('$scenario', async ({ answer, failures }) => {
    const { check } = answering(answer);
    await check.check(new Map([[workspace, 'c1']]));
    expect(check.results.get(workspace)?.state).toBe('Unavailable');
    expect([...check.failures]).toEqual(failures);
  });
});
