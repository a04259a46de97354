import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems } from '../support/kusto.js';
import { evaluateStringExpression, infraDir, interpolationStandIn, property, readBicepFile, resources } from './bicep.js';

const workspaceSchema = [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema];
const queryFiles = readdirSync(join(infraDir, 'queries'))
  .filter((f) => f.endsWith('.kql'))
  .sort()
  .map((name) => [name, readFileSync(join(infraDir, 'queries', name), 'utf8')] as const);

const alerts = readBicepFile('infra/modules/alerts.bicep');
/** Each alert rule with the Bicep expression of its query. */
const alertRules = resources(alerts)
  .filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules')
  .map((rule) => {
    const condition = property(property(property(rule.body, 'properties') ?? '', 'criteria') ?? '', 'allOf') ?? '';
    return [rule.symbol, /query: (\w+)/.exec(condition)?.[1] ?? ''] as const;
  });
/** A rule's query as the Bicep builds it from its query file. */
const alertQuery = (rule: string) => evaluateStringExpression(alerts, alertRules.find(([name]) => name === rule)?.[1] ?? '');

describe('query files', () => {
  it('exist', () => {
    expect(queryFiles.length).toBeGreaterThan(0);
  });

  it.each(queryFiles)('%s parses and binds against the workspace tables with no error or warning', (_name, query) => {
    expect(kqlProblems(query, workspaceSchema)).toEqual([]);
  });

  it.each(queryFiles)('%s opens with a comment saying what it answers', (_name, query) => {
    expect(query.split('\n')[0]).toMatch(/^\/\/ \S.{20,}/);
  });
});

describe('alert rule queries, as the Bicep builds them', () => {
  it('are one per rule', () => {
    expect(alertRules.map(([rule]) => rule)).toEqual(['newFailureAlert', 'heartbeatAlert', 'scanErrorsAlert']);
  });

  it.each(alertRules)('%s parses and binds with no error or warning', (rule) => {
    expect(kqlProblems(alertQuery(rule), workspaceSchema)).toEqual([]);
  });

  it.each(alertRules)('%s is its query file, apart from the let lines the deployment sets', (rule) => {
    const query = alertQuery(rule);
    const fileName = `alert-${{ newFailureAlert: 'new-failure', heartbeatAlert: 'scan-heartbeat', scanErrorsAlert: 'scan-errors' }[rule]}.kql`;
    const fileText = queryFiles.find(([name]) => name === fileName)?.[1] ?? '';
    const changed = query.split('\n').filter((line, i) => line !== fileText.split('\n')[i]);
    expect(query.split('\n')).toHaveLength(fileText.split('\n').length);
    for (const line of changed) expect(line).toMatch(/^let \w+ = \d+m?;$/);
  });

  it.each([
    ['heartbeatAlert', [`let heartbeatWindow = ${interpolationStandIn}m;`]],
    ['scanErrorsAlert', [`let errorThreshold = ${interpolationStandIn};`, `let lookback = ${interpolationStandIn}m;`]],
  ])('%s takes its thresholds from the deployment', (rule, lines) => {
    for (const line of lines) expect(alertQuery(rule).split('\n')).toContain(line);
  });

  // The queries pick their own time span: no TimeGenerated column for the alert to bin rows into windowSize buckets.
  it.each(alertRules)('%s ends with a project that returns no TimeGenerated column', (rule) => {
    const operators = alertQuery(rule).split('\n').filter((line) => line.startsWith('|'));
    const last = operators[operators.length - 1] ?? '';
    expect(last).toMatch(/^\| project /);
    expect(last).not.toContain('TimeGenerated');
  });
});

describe('the KQL check itself', () => {
  const posture = queryFiles.find(([name]) => name === 'current-posture.kql')?.[1] ?? '';
  const secretsRead = queryFiles.find(([name]) => name === 'secrets-read.kql')?.[1] ?? '';

  it.each([
    ['a misspelled findings column', posture.replace('ResourceGroup,', 'ResourceGrup,'), 'ResourceGrup'],
    ['a misspelled table', posture.replace('KeyVaultAuditFindings_CL', 'KeyVaultAuditFinding_CL'), 'KeyVaultAuditFinding_CL'],
    ['a misspelled audit-log column', secretsRead.replace('HttpStatusCode ==', 'HttpStatusCod =='), 'HttpStatusCod'],
  ])('rejects %s', (_scenario, query, name) => {
    const problems = kqlProblems(query, workspaceSchema);
    expect(problems.some((p) => p.includes(name))).toBe(true);
  });
});
