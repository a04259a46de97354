import { describe, expect, it } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { auditLoggingControl } from '../../src/control/auditLogging.metadata.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import {
  allLogs,
  allMetrics,
  audit,
  auditEvent,
  evidence,
  ids,
  managedHsm,
  policy,
  read,
  scanTime,
  setting,
  vault,
} from '../support/evidence.js';

const exists = (...destinations: string[]) => Object.fromEntries(destinations.map((d) => [d, 'Exists' as const]));
const deleted = (...destinations: string[]) => Object.fromEntries(destinations.map((d) => [d, 'NotFound' as const]));
const approvedOnly = (...destinations: string[]) => policy({ approvedDestinations: new Set(destinations.map(normalizeResourceId)) });

describe('status and reason', () => {
  it.each([
    {
      scenario: 'no diagnostic settings at all fails',
      settings: [],
      status: 'Fail',
      reason: 'NoDiagnosticSettings',
      detail: /^No diagnostic settings: secret, key and certificate operations are not logged anywhere\.$/,
    },
    {
      scenario: 'a metrics-only setting fails and says it enables only metrics',
      settings: [setting('metrics', { metrics: [allMetrics], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Fail',
      reason: 'AuditLogsNotEnabled',
      detail: /; the only setting enables only metrics AllMetrics\.$/,
    },
    {
      scenario: 'a setting with only a non-audit log category fails naming that category',
      settings: [setting('policy', { logs: [{ category: 'AzurePolicyEvaluationDetails', enabled: true }], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Fail',
      reason: 'AuditLogsNotEnabled',
      detail: /logs AzurePolicyEvaluationDetails/,
    },
    {
      scenario: 'an explicitly disabled audit group is not an audit entry',
      settings: [setting('off', { logs: [{ categoryGroup: 'audit', enabled: false }], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Fail',
      reason: 'AuditLogsNotEnabled',
      detail: /the only setting enables nothing\.$/,
    },
    {
      scenario: 'an unknown category group is not an audit entry',
      settings: [setting('sec', { logs: [{ categoryGroup: 'security', enabled: true }], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Fail',
      reason: 'AuditLogsNotEnabled',
      detail: /the only setting enables only logs group security\.$/,
    },
    {
      scenario: 'audit enabled with no destination fails',
      settings: [setting('nowhere', { logs: [auditEvent] })],
      status: 'Fail',
      reason: 'NoDestination',
      detail: /'nowhere' enables audit logs but sends them nowhere/,
    },
    {
      scenario: 'an empty-string workspace id is no destination',
      settings: [setting('blank', { logs: [audit], workspaceId: '', storageAccountId: '  ' })],
      status: 'Fail',
      reason: 'NoDestination',
      detail: /^Setting 'blank' enables audit logs but sends them nowhere\.$/,
    },
    {
      scenario: 'audit in one setting and a destination in another is no destination',
      settings: [
        setting('audit-only', { logs: [audit] }),
        setting('metrics-to-law', { metrics: [allMetrics], workspaceId: ids.workspace }),
      ],
      existence: exists(ids.workspace),
      status: 'Fail',
      reason: 'NoDestination',
      detail: /^Setting 'audit-only' enables audit logs/,
    },
    {
      scenario: 'audit only to a deleted workspace fails',
      settings: [setting('to-deleted', { logs: [audit], workspaceId: ids.workspace })],
      existence: deleted(ids.workspace),
      status: 'Fail',
      reason: 'DestinationNotFound',
      detail: /'law-central' \(NotFound\)/,
    },
    {
      scenario: 'audit to an existing workspace passes',
      settings: [setting('to-law', { logs: [audit], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /'to-law' to Log Analytics workspace 'law-central' \(Exists\)/,
    },
    {
      scenario: 'audit to a workspace out of sight passes as unverified',
      settings: [setting('to-law', { logs: [audit], workspaceId: ids.workspace })],
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /Unverified/,
    },
    {
      scenario: 'the AuditEvent category passes',
      settings: [setting('cat', { logs: [auditEvent], storageAccountId: ids.storage })],
      existence: exists(ids.storage),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /^Audit logs \(AuditEvent\) are delivered by 'cat' to storage account 'stauditarchive' \(Exists\)\.$/,
    },
    {
      scenario: 'the allLogs category group passes',
      settings: [setting('all', { logs: [allLogs], storageAccountId: ids.storage })],
      existence: exists(ids.storage),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /^Audit logs \(allLogs\) are delivered by 'all'/,
    },
    {
      scenario: 'an event hub destination whose authorization rule was deleted fails, though its namespace exists',
      settings: [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule })],
      existence: { ...exists(ids.eventHubNamespace), ...deleted(ids.eventHubRule) },
      status: 'Fail',
      reason: 'DestinationNotFound',
      detail: /event hub namespace 'ehn-siem' \(NotFound\)/,
    },
    {
      scenario: 'an event hub destination whose named event hub no longer exists fails',
      settings: [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule, eventHubName: 'kv-audit' })],
      existence: { ...exists(ids.eventHubRule), ...deleted(`${ids.eventHubNamespace}/eventhubs/kv-audit`) },
      status: 'Fail',
      reason: 'DestinationNotFound',
      detail: /event hub namespace 'ehn-siem' \(NotFound\)/,
    },
    {
      scenario: 'an event hub destination exists when its rule and its hub both do',
      settings: [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule, eventHubName: 'kv-audit' })],
      existence: exists(ids.eventHubRule, `${ids.eventHubNamespace}/eventhubs/kv-audit`),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /event hub namespace 'ehn-siem' \(Exists\)/,
    },
    {
      scenario: 'an event hub known only by its rule, with the hub unconfirmed, stays Unverified and passes',
      settings: [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule, eventHubName: 'kv-audit' })],
      existence: exists(ids.eventHubRule),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /event hub namespace 'ehn-siem' \(Unverified\)/,
    },
    {
      scenario: 'the legacy serviceBusRuleId is an event hub destination too',
      settings: [setting('legacy', { logs: [audit], serviceBusRuleId: ids.eventHubRule })],
      existence: deleted(ids.eventHubRule),
      status: 'Fail',
      reason: 'DestinationNotFound',
      detail: /event hub namespace 'ehn-siem' \(NotFound\)/,
    },
    {
      scenario: 'a malformed metric entry cannot change the verdict: skipped, said so, and the audit setting passes',
      settings: [{ ...setting('law', { logs: [audit], workspaceId: ids.workspace }), properties: { workspaceId: ids.workspace, logs: [audit], metrics: [''] } }],
      existence: exists(ids.workspace),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: / Ignored 1 malformed entry that cannot change the verdict \(not an audit source or destination\): 'law' metrics\[0\]: /,
    },
    {
      scenario: 'a non-audit log entry with enabled "true" is skipped, not fatal',
      settings: [setting('law', { logs: [audit, { category: 'AzurePolicyEvaluationDetails', enabled: 'true' as unknown as boolean }], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /'law' logs\[1\]\.enabled: /,
    },
    {
      scenario: 'an audit entry with enabled "true" decides the verdict, so its setting cannot be read',
      settings: [setting('law', { logs: [{ categoryGroup: 'audit', enabled: 'true' as unknown as boolean }], workspaceId: ids.workspace })],
      existence: exists(ids.workspace),
      status: 'Error',
      reason: 'MalformedRecord',
      detail: /^1 of 1 diagnostic settings could not be parsed \('law': properties\.logs\.0\.enabled: /,
    },
    {
      scenario: 'more settings than Azure allows (5) are an Error, whatever they say',
      settings: Array.from({ length: 6 }, (_, i) => setting(`law-${i}`, { logs: [audit], workspaceId: ids.workspace })),
      existence: exists(ids.workspace),
      status: 'Error',
      reason: 'MalformedRecord',
      detail: /^The resource lists 6 diagnostic settings, but Azure allows at most 5 per resource: /,
    },
    {
      scenario: 'a partner solution is a destination',
      settings: [setting('datadog', { logs: [audit], marketplacePartnerId: ids.partner })],
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /partner solution 'dd1' \(Unverified\)/,
    },
    {
      scenario: 'one deleted and one existing destination in the same setting passes',
      settings: [setting('both', { logs: [audit], workspaceId: ids.workspace, storageAccountId: ids.storage })],
      existence: { ...deleted(ids.workspace), ...exists(ids.storage) },
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /to storage account 'stauditarchive' \(Exists\)\.$/,
    },
    {
      scenario: 'one failing and one delivering setting passes',
      settings: [
        setting('metrics', { metrics: [allMetrics], workspaceId: ids.workspace }),
        setting('deleted-law', { logs: [audit], workspaceId: ids.otherWorkspace }),
        setting('archive', { logs: [auditEvent], storageAccountId: ids.storage }),
      ],
      existence: { ...exists(ids.workspace, ids.storage), ...deleted(ids.otherWorkspace) },
      status: 'Pass',
      reason: 'AuditLogsDelivered',
      detail: /'archive'/,
    },
  ])('$scenario', ({ settings, existence, status, reason, detail }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: existence ?? {} }), policy(), scanTime);
    expect(finding.Status).toBe(status);
    expect(finding.Reason).toBe(reason);
    expect(finding.Detail).toMatch(detail);
  });
});

describe('approved destinations', () => {
  it.each([
    {
      scenario: 'audit to an approved workspace passes',
      settings: [setting('to-law', { logs: [audit], workspaceId: ids.workspace })],
      approved: [ids.workspace],
      status: 'Pass',
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'audit only to a workspace off the list fails as not approved',
      settings: [setting('team', { logs: [audit], workspaceId: ids.otherWorkspace })],
      approved: [ids.workspace],
      status: 'Fail',
      reason: 'DestinationNotApproved',
    },
    {
      scenario: 'an approved list entry matches whatever the casing and a trailing slash',
      settings: [setting('to-law', { logs: [audit], workspaceId: ids.workspace.toUpperCase() })],
      approved: [`${ids.workspace.toLowerCase()}/`],
      status: 'Pass',
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'an event hub is approved by its namespace id',
      settings: [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule })],
      approved: [ids.eventHubNamespace],
      status: 'Pass',
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'an unapproved but existing destination is closer to passing than an approved deleted one',
      settings: [
        setting('team', { logs: [audit], workspaceId: ids.otherWorkspace }),
        setting('central', { logs: [audit], workspaceId: ids.workspace }),
      ],
      approved: [ids.workspace],
      existence: { ...exists(ids.otherWorkspace), ...deleted(ids.workspace) },
      status: 'Fail',
      reason: 'DestinationNotApproved',
    },
    {
      scenario: 'a deleted destination off the list is reported as not found, not as unapproved',
      settings: [setting('team', { logs: [audit], workspaceId: ids.otherWorkspace })],
      approved: [ids.workspace],
      existence: deleted(ids.otherWorkspace),
      status: 'Fail',
      reason: 'DestinationNotFound',
    },
  ])('$scenario', ({ settings, approved, existence, status, reason }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: existence ?? {} }), approvedOnly(...approved), scanTime);
    expect(finding.Status).toBe(status);
    expect(finding.Reason).toBe(reason);
  });

  it('records on each destination whether it is approved, and null when no list is configured', () => {
    const settings = [setting('two', { logs: [audit], workspaceId: ids.workspace, storageAccountId: ids.storage })];
    const withList = evaluateAuditLogging(evidence(read(settings)), approvedOnly(ids.workspace), scanTime);
    const withoutList = evaluateAuditLogging(evidence(read(settings)), policy(), scanTime);
    expect(withList.Destinations.map((d) => [d.Kind, d.Approved])).toEqual([
      ['LogAnalyticsWorkspace', true],
      ['StorageAccount', false],
    ]);
    expect(withoutList.Destinations.map((d) => d.Approved)).toEqual([null, null]);
  });
});

describe('precedence: the fail reason closest to passing wins', () => {
  it.each([
    {
      scenario: 'deleted destination beats no destination',
      settings: [setting('nowhere', { logs: [audit] }), setting('gone', { logs: [audit], workspaceId: ids.workspace })],
      existence: deleted(ids.workspace),
      reason: 'DestinationNotFound',
    },
    {
      scenario: 'no destination beats audit not enabled',
      settings: [setting('metrics', { metrics: [allMetrics], workspaceId: ids.workspace }), setting('nowhere', { logs: [audit] })],
      existence: exists(ids.workspace),
      reason: 'NoDestination',
    },
    {
      scenario: 'audit not enabled beats no settings',
      settings: [setting('metrics', { metrics: [allMetrics] })],
      reason: 'AuditLogsNotEnabled',
    },
  ])('$scenario', ({ settings, existence, reason }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: existence ?? {} }), policy(), scanTime);
    expect(finding.Status).toBe('Fail');
    expect(finding.Reason).toBe(reason);
  });
});

describe('case-insensitive comparison (ARM and ARG disagree on casing)', () => {
  it.each([
    { scenario: 'category AUDITEVENT', log: { category: 'AUDITEVENT', enabled: true } },
    { scenario: 'category auditevent', log: { category: 'auditevent', enabled: true } },
    { scenario: 'category group Audit', log: { categoryGroup: 'Audit', enabled: true } },
    { scenario: 'category group ALLLOGS', log: { categoryGroup: 'ALLLOGS', enabled: true } },
    { scenario: 'category group alllogs', log: { categoryGroup: 'alllogs', enabled: true } },
  ])('$scenario is an audit entry', ({ log }) => {
    const settings = [setting('s', { logs: [log], workspaceId: ids.workspace })];
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: exists(ids.workspace) }), policy(), scanTime);
    expect(finding.Status).toBe('Pass');
  });

  it('matches destination existence whatever the casing of the setting\'s id', () => {
    const settings = [setting('s', { logs: [audit], workspaceId: ids.workspace.toUpperCase() })];
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: deleted(ids.workspace) }), policy(), scanTime);
    expect(finding.Reason).toBe('DestinationNotFound');
  });

  it('reports the resource id lowercased and the type lowercased, keeping the name as given', () => {
    const finding = evaluateAuditLogging(evidence(read([]), { resource: managedHsm() }), policy(), scanTime);
    expect(finding.ResourceId).toBe(managedHsm().id.toLowerCase());
    expect(finding.ResourceType).toBe('microsoft.keyvault/managedhsms');
    expect(finding.ResourceName).toBe('hsm-pay');
  });
});

describe('evidence kept on every finding', () => {
  it('lists the delivering settings, the audit sources and every audit destination with its status', () => {
    const settings = [
      setting('central', { logs: [audit, allLogs], workspaceId: ids.workspace }),
      setting('archive', { logs: [auditEvent], storageAccountId: ids.storage }),
      setting('metrics', { metrics: [allMetrics], workspaceId: ids.otherWorkspace }),
    ];
    const finding = evaluateAuditLogging(
      evidence(read(settings), { existence: { ...exists(ids.workspace), ...deleted(ids.storage) } }),
      policy(),
      scanTime,
    );
    expect(finding).toMatchObject({
      DiagnosticSettingCount: 3,
      AuditSettings: ['central'],
      AuditSources: ['AuditEvent', 'audit', 'allLogs'],
      Destinations: [
        { Setting: 'central', Kind: 'LogAnalyticsWorkspace', Id: ids.workspace, Status: 'Exists', Approved: null },
        { Setting: 'archive', Kind: 'StorageAccount', Id: ids.storage, Status: 'NotFound', Approved: null },
      ],
    });
  });

  it.each([
    { scenario: 'audit and allLogs to a destination is CIS-strict', logs: [audit, allLogs], dest: ids.workspace, cis: true },
    { scenario: 'audit alone is not CIS-strict', logs: [audit], dest: ids.workspace, cis: false },
    { scenario: 'allLogs alone is not CIS-strict', logs: [allLogs], dest: ids.workspace, cis: false },
    { scenario: 'audit and allLogs with no destination is not CIS-strict', logs: [audit, allLogs], dest: undefined, cis: false },
  ])('$scenario', ({ logs, dest, cis }) => {
    const settings = [setting('s', dest ? { logs, workspaceId: dest } : { logs })];
    expect(evaluateAuditLogging(evidence(read(settings)), policy(), scanTime).CisStrict).toBe(cis);
  });

  it.each([
    { scenario: 'a disabled audit group', log: { categoryGroup: 'audit', enabled: false }, flagged: true },
    { scenario: 'a disabled allLogs group', log: { categoryGroup: 'allLogs', enabled: false }, flagged: true },
    { scenario: 'a disabled AuditEvent category', log: { category: 'AuditEvent', enabled: false }, flagged: true },
    { scenario: 'a disabled non-audit category', log: { category: 'AzurePolicyEvaluationDetails', enabled: false }, flagged: false },
  ])('$scenario sets DisabledAuditEntry to $flagged even when another setting passes', ({ log, flagged }) => {
    const settings = [
      setting('good', { logs: [auditEvent], workspaceId: ids.workspace }),
      setting('stale', { logs: [log], storageAccountId: ids.storage }),
    ];
    const finding = evaluateAuditLogging(evidence(read(settings)), policy(), scanTime);
    expect(finding.Status).toBe('Pass');
    expect(finding.DisabledAuditEntry).toBe(flagged);
  });

  it('lists at most 50 audit destinations, and says how many more there are', () => {
    const settings = Array.from({ length: 60 }, (_, i) => setting(`audit-${i}`, { logs: [audit], workspaceId: `${ids.workspace}-${i}` }));
    const finding = evaluateAuditLogging(evidence(read(settings)), policy(), scanTime);
    expect(finding.Destinations).toHaveLength(50);
    expect(finding.Detail).toMatch(/ \(10 more audit destinations are not listed in Destinations\.\)$/);
  });

  it.each(['ResourceGraph', 'ARM'] as const)('keeps the evidence source %s', (source) => {
    expect(evaluateAuditLogging(evidence(read([], source)), policy(), scanTime).EvidenceSource).toBe(source);
  });

  it('copies the resource identity and the control metadata onto the finding', () => {
    const finding = evaluateAuditLogging(evidence(read([]), { resource: vault({ tags: { env: 'prod' } }) }), policy(), scanTime);
    expect(finding).toMatchObject({
      ControlId: auditLoggingControl.id,
      Severity: auditLoggingControl.severity,
      ResourceName: 'kv-app',
      SubscriptionId: vault().subscriptionId,
      ResourceGroup: 'rg-app',
      Location: 'westeurope',
      AzureTenantId: vault().tenantId,
      Tags: { env: 'prod' },
    });
  });
});

describe('errors: never Fail without evidence', () => {
  it.each([
    { scenario: 'a 403 from ARM is AccessDenied', reason: 'AccessDenied' as const, remediation: /Reader/ },
    { scenario: 'a read that kept failing is ReadFailed', reason: 'ReadFailed' as const, remediation: /next scan retries/ },
  ])('$scenario, with no evidence fields guessed', ({ reason, remediation }) => {
    const finding = evaluateAuditLogging(
      evidence({ state: 'Unreadable', source: 'ARM', reason, message: 'HTTP 403 AuthorizationFailed' }),
      policy(),
      scanTime,
    );
    expect(finding).toMatchObject({
      Status: 'Error',
      Reason: reason,
      DiagnosticSettingCount: null,
      CisStrict: null,
      DisabledAuditEntry: null,
      AuditSettings: [],
      Destinations: [],
    });
    expect(finding.Detail).toContain('HTTP 403 AuthorizationFailed');
    expect(finding.Remediation).toMatch(remediation);
  });

  it.each([
    { scenario: 'logs is not an array', raw: { name: 'bad', properties: { logs: { category: 'AuditEvent' } } } },
    { scenario: 'properties is null', raw: { name: 'bad', properties: null } },
    { scenario: 'enabled is the string "true"', raw: { name: 'bad', properties: { logs: [{ category: 'AuditEvent', enabled: 'true' }] } } },
    { scenario: 'the record is not an object', raw: 'AuditEvent' },
    { scenario: 'the workspace id is a number', raw: { name: 'bad', properties: { workspaceId: 42, logs: [] } } },
  ])('a setting where $scenario is a MalformedRecord error, not a Fail', ({ raw }) => {
    const finding = evaluateAuditLogging(evidence(read([raw])), policy(), scanTime);
    expect(finding.Status).toBe('Error');
    expect(finding.Reason).toBe('MalformedRecord');
    expect(finding.DiagnosticSettingCount).toBe(1);
    expect(finding.Remediation).toContain('az monitor diagnostic-settings list');
  });

  it('a malformed record beside a delivering setting still passes on the evidence that exists', () => {
    const settings = [setting('good', { logs: [audit], workspaceId: ids.workspace }), { name: 'bad', properties: null }];
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: exists(ids.workspace) }), policy(), scanTime);
    expect(finding.Status).toBe('Pass');
    expect(finding.DiagnosticSettingCount).toBe(2);
  });

  it('a malformed record beside failing settings is an error that says what the readable ones show', () => {
    const settings = [setting('metrics', { metrics: [allMetrics] }), { name: 'bad', properties: { logs: 'x' } }];
    const finding = evaluateAuditLogging(evidence(read(settings)), policy(), scanTime);
    expect(finding.Status).toBe('Error');
    expect(finding.Reason).toBe('MalformedRecord');
    expect(finding.Detail).toMatch(/'bad': properties\.logs/);
    expect(finding.Detail).toMatch(/would give Fail \(AuditLogsNotEnabled\)/);
    // Whether any setting is CIS-strict is unknown while one cannot be read.
    expect(finding.CisStrict).toBeNull();
  });
});

describe('remediation', () => {
  it('a failure carries an az command for that exact resource with a workspace placeholder', () => {
    const finding = evaluateAuditLogging(evidence(read([])), policy(), scanTime);
    expect(finding.Remediation).toBe(
      `az monitor diagnostic-settings create --name kv-audit-logs --resource '${vault().id.toLowerCase()}' ` +
        `--workspace '<log-analytics-workspace-resource-id>' --logs '[{"categoryGroup":"audit","enabled":true}]' --export-to-resource-specific true`,
    );
  });

  it('uses the configured remediation workspace', () => {
    const finding = evaluateAuditLogging(evidence(read([])), policy({ remediationWorkspaceId: ids.workspace }), scanTime);
    expect(finding.Remediation).toContain(`--workspace '${ids.workspace}'`);
  });

  it('quotes resource names that a shell would otherwise interpret', () => {
    const resource = vault({ id: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/it's$(whoami)` });
    const finding = evaluateAuditLogging(evidence(read([]), { resource }), policy(), scanTime);
    expect(finding.Remediation).toContain(`--resource '/subscriptions/x/resourcegroups/rg/providers/microsoft.keyvault/vaults/it'\\''s$(whoami)'`);
  });

  it('a passing resource needs no remediation', () => {
    const settings = [setting('ok', { logs: [audit], workspaceId: ids.workspace })];
    expect(evaluateAuditLogging(evidence(read(settings)), policy(), scanTime).Remediation).toBe('');
  });
});

describe('Managed HSM', () => {
  it.each([
    { scenario: 'without settings fails', settings: [], status: 'Fail' },
    { scenario: 'with AuditEvent to a workspace passes', settings: [setting('hsm', { logs: [auditEvent], workspaceId: ids.workspace })], status: 'Pass' },
  ])('a Managed HSM $scenario like a vault', ({ settings, status }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { resource: managedHsm() }), policy(), scanTime);
    expect(finding.Status).toBe(status);
    expect(finding.ResourceType).toBe('microsoft.keyvault/managedhsms');
  });
});

/*
 * Issue 17: proof that audit logs can arrive. Facts are what ARM answers for each destination (destinationFacts.ts),
 * keyed by normalized id; a missing entry means the scanner did not see it.
 */
const storageFirewall = (defaultAction: string, bypass: string[], location = 'westeurope') =>
  ({ [ids.storage]: { kind: 'storageAccount', location, defaultAction, bypass } }) as const;
const noLifecycle = { [`${ids.storage}/managementpolicies/default`]: { kind: 'absent' }, [`${ids.storage}/blobservices/default/containers/insights-logs-auditevent`]: { kind: 'absent' } } as const;
const lifecycle = (deleteAfterDays: number, prefixes: string[] = ['insights-logs-auditevent'], blobTypes = ['appendBlob', 'blockBlob']) => ({
  [`${ids.storage}/managementpolicies/default`]: { kind: 'lifecyclePolicy', rules: [{ name: 'expire-logs', enabled: true, prefixes, blobTypes, deleteAfterDays }] },
});
const immutable = (days: number, state: string) => ({
  [`${ids.storage}/blobservices/default/containers/insights-logs-auditevent`]: { kind: 'container', immutableDays: days, immutabilityState: state },
});
const namespaceFacts = (location: string, publicNetworkAccess: string) => ({ [ids.eventHubNamespace]: { kind: 'eventHubNamespace', location, publicNetworkAccess } });
const ruleSet = (defaultAction: string, trustedServiceAccessEnabled: boolean, ruleCount: number, publicNetworkAccess = 'Enabled') => ({
  [`${ids.eventHubNamespace}/networkrulesets/default`]: { kind: 'networkRuleSet', defaultAction, publicNetworkAccess, trustedServiceAccessEnabled, ruleCount },
});
const workspaceFacts = (retentionInDays: number, location = 'northeurope') => ({
  [ids.workspace]: { kind: 'workspace', location, customerId: '6e2f4a1b-8c3d-4e5f-9a0b-1c2d3e4f5a6b', retentionInDays },
});
const tableFacts = (table: string, retentionInDays: number, totalRetentionInDays: number) => ({
  [`${ids.workspace}/tables/${table.toLowerCase()}`]: { kind: 'workspaceTable', retentionInDays, totalRetentionInDays },
});
const noTable = (table: string) => ({ [`${ids.workspace}/tables/${table.toLowerCase()}`]: { kind: 'absent' } });

describe('blocked destinations: Azure Monitor cannot write there (Learn: "Diagnostic settings in Azure Monitor", Destinations)', () => {
  const toStorage = [setting('archive', { logs: [auditEvent], storageAccountId: ids.storage })];
  const toHub = [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule })];
  it.each([
    {
      scenario: 'a storage firewall that denies by default without the AzureServices bypass blocks it',
      settings: toStorage,
      facts: { ...storageFirewall('Deny', ['Logging', 'Metrics']), ...noLifecycle },
      status: 'Blocked',
      problem: /networkAcls\.defaultAction Deny\) and does not let trusted Microsoft services bypass it: add AzureServices to networkAcls\.bypass/,
    },
    { scenario: 'a firewall with the AzureServices bypass lets Azure Monitor through', settings: toStorage, facts: { ...storageFirewall('Deny', ['AzureServices']), ...noLifecycle }, status: 'Exists', problem: null },
    { scenario: 'a storage account open to all networks takes the logs', settings: toStorage, facts: { ...storageFirewall('Allow', ['None']), ...noLifecycle }, status: 'Exists', problem: null },
    {
      scenario: 'a storage account in another region than the vault is blocked',
      settings: toStorage,
      facts: { ...storageFirewall('Allow', [], 'North Europe'), ...noLifecycle },
      status: 'Blocked',
      problem: /^the storage account is in North Europe and the vault in westeurope: Azure Monitor sends a regional resource's logs only to a storage account in the same region/,
    },
    { scenario: 'a region spelled with a space and capitals is the same region', settings: toStorage, facts: { ...storageFirewall('Allow', [], 'West Europe'), ...noLifecycle }, status: 'Exists', problem: null },
    {
      scenario: 'an event hub namespace with public access disabled and no trusted-service access is blocked',
      settings: toHub,
      facts: { ...namespaceFacts('westeurope', 'Disabled'), ...ruleSet('Deny', false, 0, 'Disabled') },
      status: 'Blocked',
      problem: /^the Event Hubs namespace disables public network access and does not let trusted Microsoft services \(Azure Monitor among them\) bypass it: set trustedServiceAccessEnabled to true/,
    },
    {
      scenario: 'an event hub namespace denying by default, with IP rules and no trusted-service access, is blocked',
      settings: toHub,
      facts: { ...namespaceFacts('westeurope', 'Enabled'), ...ruleSet('Deny', false, 2) },
      status: 'Blocked',
      problem: /denies public traffic by default/,
    },
    {
      scenario: 'a namespace with public access disabled but trusted services allowed takes the logs',
      settings: toHub,
      facts: { ...namespaceFacts('westeurope', 'Disabled'), ...ruleSet('Deny', true, 0, 'Disabled') },
      status: 'Exists',
      problem: null,
    },
    {
      scenario: 'defaultAction Deny without any IP or virtual network rule leaves a namespace open (Event Hubs docs)',
      settings: toHub,
      facts: { ...namespaceFacts('westeurope', 'Enabled'), ...ruleSet('Deny', false, 0) },
      status: 'Exists',
      problem: null,
    },
    {
      scenario: 'an event hub namespace in another region is blocked',
      settings: toHub,
      facts: { ...namespaceFacts('northeurope', 'Enabled'), ...ruleSet('Allow', true, 0) },
      status: 'Blocked',
      problem: /^the event hub namespace is in northeurope and the vault in westeurope/,
    },
    {
      scenario: 'without its network rule set, a namespace with public access disabled is not called blocked on missing evidence',
      settings: toHub,
      facts: namespaceFacts('westeurope', 'Disabled'),
      status: 'Exists',
      problem: null,
    },
  ])('$scenario', ({ settings, facts, status, problem }) => {
    const existence = exists(ids.storage, ids.eventHubRule);
    const finding = evaluateAuditLogging(evidence(read(settings), { existence, facts: facts as never }), policy(), scanTime);
    expect(finding.Destinations.map((d) => d.Status)).toEqual([status]);
    expect(finding.Destinations[0]?.Problem).toEqual(problem === null ? null : expect.stringMatching(problem));
    expect(finding.Status).toBe(status === 'Blocked' ? 'Fail' : 'Pass');
  });

  it('a setting whose audit destinations are all blocked fails DestinationBlocked, saying which rule and what to change', () => {
    const settings = [setting('archive', { logs: [auditEvent], storageAccountId: ids.storage })];
    const finding = evaluateAuditLogging(
      evidence(read(settings), { existence: exists(ids.storage), facts: { ...storageFirewall('Deny', []), ...noLifecycle } as never }),
      policy(),
      scanTime,
    );
    expect(finding).toMatchObject({ Status: 'Fail', Reason: 'DestinationBlocked' });
    expect(finding.Detail).toMatch(/^Audit logs go only to destinations Azure Monitor cannot write to: storage account 'stauditarchive' \(Blocked, kept until deleted: the storage account's firewall denies by default/);
  });

  it('one blocked and one usable destination in the same setting passes', () => {
    const settings = [setting('both', { logs: [audit], storageAccountId: ids.storage, workspaceId: ids.workspace })];
    const finding = evaluateAuditLogging(
      evidence(read(settings), { existence: exists(ids.storage, ids.workspace), facts: storageFirewall('Deny', []) as never }),
      policy(),
      scanTime,
    );
    expect(finding.Status).toBe('Pass');
    expect(finding.Destinations.map((d) => d.Status)).toEqual(['LogAnalyticsWorkspace', 'StorageAccount'].map((k) => (k === 'StorageAccount' ? 'Blocked' : 'Exists')));
  });
});

describe('retention evidence, and KV_AUDIT_MIN_RETENTION_DAYS', () => {
  const toWorkspace = (type?: string) => [setting('law', { logs: [audit], workspaceId: ids.workspace, ...(type ? { logAnalyticsDestinationType: type } : {}) })];
  const toStorage = [setting('archive', { logs: [auditEvent], storageAccountId: ids.storage })];
  const toHub = [setting('siem', { logs: [audit], eventHubAuthorizationRuleId: ids.eventHubRule })];
  it.each([
    {
      scenario: 'a resource-specific setting reads the AZKVAuditLogs table: total retention counts',
      settings: toWorkspace('Dedicated'),
      facts: { ...workspaceFacts(90), ...tableFacts('AZKVAuditLogs', 90, 730) },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 730, InteractiveDays: 90, Basis: 'table AZKVAuditLogs', MeetsMinimum: true },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'a legacy setting reads the AzureDiagnostics table',
      settings: toWorkspace(),
      facts: { ...workspaceFacts(90), ...tableFacts('AzureDiagnostics', 30, 30) },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 30, InteractiveDays: 30, Basis: 'table AzureDiagnostics', MeetsMinimum: false },
      reason: 'RetentionTooShort',
    },
    {
      scenario: 'without the table yet, the workspace default applies',
      settings: toWorkspace('Dedicated'),
      facts: { ...workspaceFacts(120), ...noTable('AZKVAuditLogs') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 120, InteractiveDays: 120, Basis: 'workspace default (no table AZKVAuditLogs yet)', MeetsMinimum: false },
      reason: 'RetentionTooShort',
    },
    {
      scenario: 'a workspace out of sight is Unverified, which never fails',
      settings: toWorkspace('Dedicated'),
      facts: {},
      minimum: 365,
      retention: { Status: 'Unverified', TotalDays: null, Basis: 'the workspace could not be read', MeetsMinimum: null },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'an unreadable table leaves a readable workspace Unverified',
      settings: toWorkspace('Dedicated'),
      facts: workspaceFacts(30),
      minimum: 365,
      retention: { Status: 'Unverified', Basis: 'table AZKVAuditLogs could not be read', MeetsMinimum: null },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'storage without a lifecycle rule keeps the logs until deleted',
      settings: toStorage,
      facts: noLifecycle,
      minimum: 365,
      retention: { Status: 'Known', TotalDays: null, Basis: 'no lifecycle rule deletes them', ImmutableDays: null, MeetsMinimum: true },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'a lifecycle rule on the insights-logs container deletes them after its days',
      settings: toStorage,
      facts: { ...lifecycle(90), ...immutable(0, 'Unlocked') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 90, Basis: "lifecycle rule 'expire-logs'", ImmutableDays: 0, ImmutabilityLocked: false, MeetsMinimum: false },
      reason: 'RetentionTooShort',
    },
    {
      scenario: 'a locked immutability policy keeps them past a shorter lifecycle rule',
      settings: toStorage,
      facts: { ...lifecycle(90), ...immutable(400, 'Locked') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 400, ImmutableDays: 400, ImmutabilityLocked: true, MeetsMinimum: true },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: "a rule for another container does not touch the audit logs",
      settings: toStorage,
      facts: { ...lifecycle(7, ['insights-logs-allmetrics']), ...immutable(0, 'Unlocked') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: null, MeetsMinimum: true },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'a rule for block blobs only does not touch the append blobs resource logs are',
      settings: toStorage,
      facts: { ...lifecycle(7, [], ['blockBlob']), ...immutable(0, 'Unlocked') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: null, MeetsMinimum: true },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: "a rule on this vault's own path applies",
      settings: toStorage,
      facts: { ...lifecycle(30, [`insights-logs-auditevent/resourceId=${vault().id.toUpperCase()}`]), ...immutable(0, 'Unlocked') },
      minimum: 365,
      retention: { Status: 'Known', TotalDays: 30, MeetsMinimum: false },
      reason: 'RetentionTooShort',
    },
    {
      scenario: 'an unreadable lifecycle policy is Unverified',
      settings: toStorage,
      facts: immutable(0, 'Unlocked'),
      minimum: 365,
      retention: { Status: 'Unverified', Basis: 'the lifecycle management policy could not be read', MeetsMinimum: null },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'an event hub is Unverified: retention is downstream',
      settings: toHub,
      facts: {},
      minimum: 365,
      retention: { Status: 'Unverified', Basis: 'an event hub streams the logs on: how long they are kept is decided downstream of it', MeetsMinimum: null },
      reason: 'AuditLogsDelivered',
    },
    {
      scenario: 'without a minimum, a short retention is evidence only',
      settings: toWorkspace('Dedicated'),
      facts: { ...workspaceFacts(30), ...tableFacts('AZKVAuditLogs', 30, 30) },
      minimum: null,
      retention: { Status: 'Known', TotalDays: 30, MeetsMinimum: null },
      reason: 'AuditLogsDelivered',
    },
  ])('$scenario', ({ settings, facts, minimum, retention, reason }) => {
    const existence = exists(ids.workspace, ids.storage, ids.eventHubRule);
    const finding = evaluateAuditLogging(evidence(read(settings), { existence, facts: facts as never }), policy({ minRetentionDays: minimum }), scanTime);
    expect(finding.Destinations[0]?.Retention).toMatchObject(retention);
    expect(finding.Reason).toBe(reason);
  });

  it('RetentionTooShort says the minimum and where each retention comes from', () => {
    const finding = evaluateAuditLogging(
      evidence(read(toWorkspace('Dedicated')), { existence: exists(ids.workspace), facts: { ...workspaceFacts(90), ...tableFacts('AZKVAuditLogs', 90, 90) } as never }),
      policy({ minRetentionDays: 365 }),
      scanTime,
    );
    expect(finding.Detail).toMatch(
      /^Audit logs go only to destinations that keep them less than the required 365 days \(KV_AUDIT_MIN_RETENTION_DAYS\): Log Analytics workspace 'law-central' \(Exists, kept 90 days: table AZKVAuditLogs\)\./,
    );
  });

  it('one destination that keeps them long enough is enough', () => {
    const settings = [...toWorkspace('Dedicated'), ...toStorage];
    const facts = { ...workspaceFacts(30), ...tableFacts('AZKVAuditLogs', 30, 30), ...noLifecycle };
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: exists(ids.workspace, ids.storage), facts: facts as never }), policy({ minRetentionDays: 365 }), scanTime);
    expect(finding).toMatchObject({ Status: 'Pass', AuditSettings: ['archive'] });
  });

  it('a deleted destination has no retention evidence', () => {
    const finding = evaluateAuditLogging(evidence(read(toStorage), { existence: deleted(ids.storage) }), policy({ minRetentionDays: 365 }), scanTime);
    expect(finding.Destinations[0]?.Retention).toBeNull();
  });
});

describe('profiles: KV_AUDIT_PROFILE=cis passes only audit and allLogs in one setting with a usable destination', () => {
  it.each([
    { scenario: 'both groups in one setting pass', settings: [setting('s', { logs: [audit, allLogs], workspaceId: ids.workspace })], status: 'Pass', reason: 'AuditLogsDelivered' },
    { scenario: 'AuditEvent alone is not CIS', settings: [setting('s', { logs: [auditEvent], workspaceId: ids.workspace })], status: 'Fail', reason: 'CisCategoryGroupsMissing' },
    { scenario: 'the audit group alone is not CIS', settings: [setting('s', { logs: [audit], workspaceId: ids.workspace })], status: 'Fail', reason: 'CisCategoryGroupsMissing' },
    {
      scenario: 'both groups split over two settings are not CIS',
      settings: [setting('a', { logs: [audit], workspaceId: ids.workspace }), setting('b', { logs: [allLogs], storageAccountId: ids.storage })],
      status: 'Fail',
      reason: 'CisCategoryGroupsMissing',
    },
    {
      scenario: 'both groups to a deleted workspace fail as the default profile would',
      settings: [setting('s', { logs: [audit, allLogs], workspaceId: ids.workspace })],
      existence: deleted(ids.workspace),
      status: 'Fail',
      reason: 'DestinationNotFound',
    },
    { scenario: 'no settings fail as the default profile would', settings: [], status: 'Fail', reason: 'NoDiagnosticSettings' },
  ])('$scenario', ({ settings, existence, status, reason }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: existence ?? exists(ids.workspace, ids.storage) }), policy({ profile: 'cis' }), scanTime);
    expect([finding.Status, finding.Reason, finding.Profile]).toEqual([status, reason, 'cis']);
  });

  it('CisCategoryGroupsMissing names the setting that delivers, and its remediation enables both groups', () => {
    const finding = evaluateAuditLogging(evidence(read([setting('to-law', { logs: [audit], workspaceId: ids.workspace })]), { existence: exists(ids.workspace) }), policy({ profile: 'cis' }), scanTime);
    expect(finding.Detail).toMatch(/^Audit logs are delivered by 'to-law', but no setting with a usable destination enables both the audit and allLogs category groups/);
    expect(finding.Remediation).toContain(`--logs '[{"categoryGroup":"audit","enabled":true},{"categoryGroup":"allLogs","enabled":true}]'`);
  });

  it('the default profile is unchanged, and says so on the finding', () => {
    const finding = evaluateAuditLogging(evidence(read([setting('s', { logs: [auditEvent], workspaceId: ids.workspace })]), { existence: exists(ids.workspace) }), policy(), scanTime);
    expect([finding.Status, finding.Profile]).toEqual(['Pass', 'default']);
  });
});

describe('logs actually arriving: KV_AUDIT_VERIFY_DELIVERY', () => {
  const vaultId = vault().id.toLowerCase();
  const workspaceId = ids.workspace.toLowerCase();
  const at = (iso: string) => new Date(iso);
  const queried = (events: Record<string, string>) =>
    new Map([[workspaceId, { state: 'Queried' as const, lastEvents: new Map(Object.entries(events).map(([id, t]) => [id, at(t)])) }]]);
  const changedAt = '2026-11-20T10:00:00Z';
  const toLaw = (lastModifiedAt?: string) => [setting('law', { logs: [audit], workspaceId: ids.workspace, ...(lastModifiedAt ? { lastModifiedAt } : {}) })];
  it.each([
    { scenario: 'not asked for, nothing is checked', settings: toLaw(), delivery: null, check: 'NotChecked', last: null, note: null },
    { scenario: 'a recent event is seen arriving', settings: toLaw(changedAt), delivery: queried({ [vaultId]: '2026-11-22T09:00:00Z' }), check: 'EventsSeen', last: '2026-11-22T09:00:00.000Z', note: /Latest AuditEvent seen arriving at 2026-11-22T09:00:00\.000Z\./ },
    { scenario: 'no event in the window is evidence, not a failure', settings: toLaw(changedAt), delivery: queried({}), check: 'NoEvents', last: null, note: /No AuditEvent from it in its workspaces over the last 30 days \(an idle vault writes none\)\./ },
    {
      scenario: 'events that stop before the setting changed, and none since, are flagged',
      settings: toLaw(changedAt),
      delivery: queried({ [vaultId]: '2026-11-19T08:00:00Z' }),
      check: 'Stopped',
      last: '2026-11-19T08:00:00.000Z',
      note: /Audit events stopped: the latest arrived at 2026-11-19T08:00:00\.000Z, before its audit setting changed at 2026-11-20T10:00:00\.000Z, and none since\./,
    },
    { scenario: 'a setting changed within the ingestion grace is not called stopped yet', settings: toLaw('2026-11-22T09:00:00Z'), delivery: queried({ [vaultId]: '2026-11-19T08:00:00Z' }), check: 'EventsSeen', last: '2026-11-19T08:00:00.000Z', note: /Latest AuditEvent/ },
    { scenario: 'a setting ARM gives no change time for cannot be called stopped', settings: toLaw(), delivery: queried({ [vaultId]: '2026-11-01T08:00:00Z' }), check: 'EventsSeen', last: '2026-11-01T08:00:00.000Z', note: /Latest AuditEvent/ },
    {
      scenario: 'a workspace the identity may not query leaves delivery Unverified',
      settings: toLaw(),
      delivery: new Map([[workspaceId, { state: 'Unavailable' as const, why: 'it needs Log Analytics Reader there' }]]),
      check: 'Unverified',
      last: null,
      note: /Delivery not verified: it needs Log Analytics Reader there\./,
    },
    { scenario: 'audit logs going to storage only cannot be verified', settings: [setting('s', { logs: [audit], storageAccountId: ids.storage })], delivery: queried({}), check: 'Unverified', last: null, note: /its audit logs go to no Log Analytics workspace/ },
  ])('$scenario', ({ settings, delivery, check, last, note }) => {
    const finding = evaluateAuditLogging(evidence(read(settings), { existence: exists(ids.workspace, ids.storage), delivery }), policy(), scanTime);
    expect([finding.Status, finding.DeliveryCheck, finding.LastAuditEventAt]).toEqual(['Pass', check, last]);
    expect(finding.Detail).toMatch(note ?? /^(?![\s\S]*(AuditEvent|Delivery))/);
  });
});

describe('precedence of the new reasons: the one closest to passing wins', () => {
  it.each([
    {
      scenario: 'retention too short beats not approved',
      settings: [setting('short', { logs: [audit], workspaceId: ids.workspace, logAnalyticsDestinationType: 'Dedicated' }), setting('team', { logs: [audit], workspaceId: ids.otherWorkspace })],
      approved: [ids.workspace],
      reason: 'RetentionTooShort',
    },
    {
      scenario: 'not approved beats blocked',
      settings: [setting('team', { logs: [audit], workspaceId: ids.otherWorkspace }), setting('archive', { logs: [audit], storageAccountId: ids.storage })],
      approved: [ids.workspace, ids.storage],
      reason: 'DestinationNotApproved',
    },
    {
      scenario: 'blocked beats not found',
      settings: [setting('archive', { logs: [audit], storageAccountId: ids.storage }), setting('gone', { logs: [audit], workspaceId: ids.workspace })],
      approved: [ids.workspace, ids.storage],
      existenceOverride: deleted(ids.workspace),
      reason: 'DestinationBlocked',
    },
  ])('$scenario', ({ settings, approved, existenceOverride, reason }) => {
    const facts = { ...workspaceFacts(30), ...tableFacts('AZKVAuditLogs', 30, 30), ...storageFirewall('Deny', []), ...noLifecycle };
    const existence = { ...exists(ids.workspace, ids.otherWorkspace, ids.storage), ...existenceOverride };
    const finding = evaluateAuditLogging(evidence(read(settings), { existence, facts: facts as never }), policy({ minRetentionDays: 365, approvedDestinations: new Set(approved.map(normalizeResourceId)) }), scanTime);
    expect([finding.Status, finding.Reason]).toEqual(['Fail', reason]);
  });
});
