import { describe, expect, it } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { parseDiagnosticSetting } from '../../src/control/diagnosticSetting.js';
import { evidence, policy, read, scanTime } from '../support/evidence.js';
import { specBody, specExample } from '../support/specFixtures.js';

/** The control against the verbatim diagnostic-settings examples of the REST API spec. */

const listBody = (name: 'listDiagnosticSettings' | 'listDiagnosticSettingsCategory') => specBody<{ value: unknown[] }>(name).value;

describe('verbatim REST spec examples (2021-05-01-preview)', () => {
  it('list example: allLogs to a storage account and an event hub, with workspaceId "" meaning no workspace', () => {
    const finding = evaluateAuditLogging(evidence(read(listBody('listDiagnosticSettings'))), policy(), scanTime);
    expect(finding.Status).toBe('Pass');
    expect(finding.AuditSources).toEqual(['allLogs']);
    expect(finding.Destinations.map((d) => [d.Kind, d.Status])).toEqual([
      ['StorageAccount', 'Unverified'],
      ['EventHub', 'Unverified'],
    ]);
  });

  it('list example fails as DestinationNotFound once both destinations are known deleted', () => {
    const existence = {
      '/subscriptions/df602c9c-7aa0-407d-a6fb-eb20c8bd1192/resourcegroups/apptest/providers/microsoft.storage/storageaccounts/appteststorage1': 'NotFound' as const,
      // An event hub destination depends on the authorization rule it sends with.
      '/subscriptions/b67f7fec-69fc-4974-9099-a26bd6ffeda3/resourcegroups/andy1101/providers/microsoft.eventhub/namespaces/andy1101/authorizationrules/rootmanagesharedaccesskey':
        'NotFound' as const,
    };
    const finding = evaluateAuditLogging(evidence(read(listBody('listDiagnosticSettings')), { existence }), policy(), scanTime);
    expect(finding.Status).toBe('Fail');
    expect(finding.Reason).toBe('DestinationNotFound');
  });

  it('get example: an event-hub-level rule is approved by its namespace and must exist itself; a partner is a destination', () => {
    const record = parseDiagnosticSetting(specBody('getDiagnosticSetting'));
    expect(record.ok).toBe(true);
    const storage = '/subscriptions/df602c9c-7aa0-407d-a6fb-eb20c8bd1192/resourcegroups/apptest/providers/microsoft.storage/storageaccounts/appteststorage1';
    const namespace = '/subscriptions/1a66ce04-b633-4a0b-b2bc-a912ec8986a6/resourcegroups/montest/providers/microsoft.eventhub/namespaces/mynamespace';
    const partner = '/subscriptions/abcdeabc-1234-1234-ab12-123a1234567a/resourcegroups/test-rg/providers/microsoft.datadog/monitors/dd1';
    expect(record.ok && record.setting.destinations.map((d) => [d.kind, d.approvalId, d.existenceTargets])).toEqual([
      ['StorageAccount', storage, [storage]],
      ['EventHub', namespace, [`${namespace}/eventhubs/myeventhub/authorizationrules/myrule`]],
      ['PartnerSolution', partner, [partner]],
    ]);
  });

  it('category list example: a service category (WorkflowRuntime) is not audit logging', () => {
    const finding = evaluateAuditLogging(evidence(read(listBody('listDiagnosticSettingsCategory'))), policy(), scanTime);
    expect(finding.Status).toBe('Fail');
    expect(finding.Reason).toBe('AuditLogsNotEnabled');
    expect(finding.Detail).toMatch(/logs WorkflowRuntime; metrics WorkflowMetrics/);
  });

  it.each([
    { scenario: 'the get-category response (id without /providers/microsoft.insights)', name: 'getDiagnosticSettingCategory' as const, status: 'Fail' },
    { scenario: 'the create-category response (id without /providers/microsoft.insights)', name: 'createOrUpdateDiagnosticSettingCategory' as const, status: 'Fail' },
    { scenario: 'the create response (allLogs, four destination fields)', name: 'createOrUpdateDiagnosticSetting' as const, status: 'Pass' },
  ])('$scenario parses and evaluates to $status', ({ name, status }) => {
    const finding = evaluateAuditLogging(evidence(read([specBody(name)])), policy(), scanTime);
    expect(finding.Status).toBe(status);
  });

  it('the create request body (properties only, no name) is a malformed record, not a crash', () => {
    const requestBody = (specExample('createOrUpdateDiagnosticSetting').parameters['parameters'] as Record<string, unknown>);
    const record = parseDiagnosticSetting(requestBody);
    expect(record).toMatchObject({ ok: false, name: null, problem: expect.stringMatching(/^name:/) });
  });
});
