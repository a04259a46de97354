import { expect, test } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { capRow } from '../../src/findings/rowLimits.js';
import { allLogs, allMetrics, audit, evidence, ids, policy, read, scanTime, setting, vault } from '../support/evidence.js';

/*
 * Goal: the control is never the bottleneck. Evaluating a vault and capping its row cost microseconds,
 * against the milliseconds of the ARM read each vault needs; even a hostile 10,000-setting record stays
 * well under a second.
 */

const typical = evidence(
  read([setting('central', { logs: [audit, allLogs], workspaceId: ids.workspace }), setting('metrics', { metrics: [allMetrics], storageAccountId: ids.storage })]),
  { existence: { [ids.workspace]: 'Exists', [ids.storage]: 'Exists' }, resource: vault({ tags: { env: 'prod', owner: 'team-a', 'kv-audit-exempt': 'r; until=2099-01-01' } }) },
);
const hostile = evidence(read(Array.from({ length: 10_000 }, (_, i) => setting(`metrics-${i}`, { metrics: [allMetrics], workspaceId: ids.workspace }))));
const withApprovals = policy({ approvedDestinations: new Set([ids.workspace.toLowerCase()]) });
const typicalRow = evaluateAuditLogging(typical, policy(), scanTime);
const hostileRow = { ...evaluateAuditLogging(hostile, policy(), scanTime), AuditSettings: Array.from({ length: 10_000 }, (_, i) => `metrics-${i}`) };

test('evaluating a typical vault: over 20,000 a second', async ({ bench }) => {
  const result = await bench('evaluate a typical vault', () => {
    evaluateAuditLogging(typical, withApprovals, scanTime);
  }).run();
  expect(result.throughput.mean).toBeGreaterThan(20_000);
});

test('evaluating a hostile vault with 10,000 settings: under 100 ms', async ({ bench }) => {
  const result = await bench('evaluate a 10,000-setting vault', () => {
    evaluateAuditLogging(hostile, policy(), scanTime);
  }).run({ iterations: 20 });
  expect(result.latency.mean).toBeLessThan(100);
});

test('capping rows: a typical row over 20,000 a second, a hostile one under 100 ms', async ({ bench }) => {
  const typicalResult = await bench('cap a typical row', () => {
    capRow(typicalRow);
  }).run();
  const hostileResult = await bench('cap a row listing 10,000 settings', () => {
    capRow(hostileRow);
  }).run({ iterations: 20 });
  expect(typicalResult.throughput.mean).toBeGreaterThan(20_000);
  expect(hostileResult.latency.mean).toBeLessThan(100);
});
