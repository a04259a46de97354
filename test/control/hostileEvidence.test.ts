import { describe, expect, it } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { settingsOfResource } from '../../src/control/diagnosticSetting.js';
import { audit, evidence, ids, policy, read, scanTime, setting, vault } from '../support/evidence.js';

/*
 * Whoever can write a diagnostic setting or a tag can try to buy a Pass or hide a Fail. Each scenario here is a
 * value a vault owner controls; each must fail closed and never echo a credential.
 */

const exists = (...destinations: string[]) => Object.fromEntries(destinations.map((d) => [d, 'Exists' as const]));

describe('a destination field that holds no resource id of its kind is no destination', () => {
  it.each([
    { scenario: 'a word', field: 'workspaceId', value: 'garbage', what: 'a Log Analytics workspace resource id' },
    { scenario: 'the text null', field: 'workspaceId', value: 'null', what: 'a Log Analytics workspace resource id' },
    {
      scenario: 'a deleted workspace id with a zero-width space inside',
      field: 'workspaceId',
      value: ids.workspace.replace('law-central', 'law-\u200bcentral'),
      what: 'a Log Analytics workspace resource id',
    },
    { scenario: 'a storage account id in the workspace field', field: 'workspaceId', value: ids.storage, what: 'a Log Analytics workspace resource id' },
    { scenario: 'a workspace id in the storage field', field: 'storageAccountId', value: ids.workspace, what: 'a storage account resource id' },
    {
      scenario: 'an event hub namespace, not its authorization rule',
      field: 'eventHubAuthorizationRuleId',
      value: ids.eventHubNamespace,
      what: 'an event hub authorization rule resource id',
    },
    { scenario: 'a URL as the partner solution', field: 'marketplacePartnerId', value: 'https://example.com/monitor', what: 'a resource id' },
  ])('$scenario: $field', ({ field, value, what }) => {
    const finding = evaluateAuditLogging(evidence(read([setting('audit', { logs: [audit], [field]: value })])), policy(), scanTime);
    expect(finding).toMatchObject({ Status: 'Fail', Reason: 'NoDestination', Destinations: [] });
    expect(finding.Detail).toContain(`Not destinations: 'audit' ${field} '`);
    expect(finding.Detail).toContain(`' is not ${what}.`);
  });

  it('a lookalike is not folded into the real id: a Cyrillic "а" names another, unconfirmed workspace', () => {
    const lookalike = ids.workspace.replace('law-central', 'l\u0430w-central');
    const finding = evaluateAuditLogging(
      evidence(read([setting('audit', { logs: [audit], workspaceId: lookalike })]), { existence: exists(ids.workspace) }),
      policy(),
      scanTime,
    );
    expect(finding.Destinations).toEqual([expect.objectContaining({ Id: lookalike, Status: 'Unverified' })]);
  });

  it('an id in decomposed Unicode compares equal to the same id composed (NFC)', () => {
    const composed = ids.workspace.replace('law-central', 'law-zürich');
    const decomposed = composed.normalize('NFD');
    const finding = evaluateAuditLogging(
      evidence(read([setting('audit', { logs: [audit], workspaceId: ` ${decomposed} ` })]), { existence: exists(composed) }),
      policy(),
      scanTime,
    );
    expect(finding).toMatchObject({ Status: 'Pass', Destinations: [expect.objectContaining({ Status: 'Exists' })] });
  });
});

describe('values that look like credentials are never echoed', () => {
  const sas = 'https://stauditarchive.blob.core.windows.net/logs?sv=2024-11-04&sp=racwl&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D';
  const connectionString = 'Endpoint=sb://ehn-siem.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=bm90LWEtcmVhbC1rZXk=';
  const accountKey = 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=YWNjb3VudC1rZXktYnl0ZXM=;EndpointSuffix=core.windows.net';

  it.each([
    { scenario: 'a storage SAS URL', field: 'storageAccountId', value: sas, secret: 'c2VjcmV0LXNpZ25hdHVyZQ' },
    { scenario: 'an event hub connection string', field: 'eventHubAuthorizationRuleId', value: connectionString, secret: 'bm90LWEtcmVhbC1rZXk' },
    { scenario: 'a storage connection string', field: 'storageAccountId', value: accountKey, secret: 'YWNjb3VudC1rZXktYnl0ZXM' },
  ])('$scenario in $field is no destination, and its secret is redacted', ({ field, value, secret }) => {
    const finding = evaluateAuditLogging(evidence(read([setting('audit', { logs: [audit], [field]: value })])), policy(), scanTime);
    expect(finding).toMatchObject({ Status: 'Fail', Reason: 'NoDestination', Destinations: [] });
    expect(finding.Detail).toContain(`Not destinations: 'audit' ${field} '`);
    expect(JSON.stringify(finding)).not.toContain(secret);
  });

  it('the redacted form is what the detail shows', () => {
    const finding = evaluateAuditLogging(evidence(read([setting('audit', { logs: [audit], storageAccountId: 'x?sig=abc' })])), policy(), scanTime);
    expect(finding.Detail).toContain("storageAccountId 'x?sig=[redacted]' is not a storage account resource id");
  });

  it('a key in a tag value and in a setting name is redacted from the finding', () => {
    const resource = vault({ tags: { owner: 'team-a', note: 'AccountKey=dGFnLWtleQ==' } });
    const finding = evaluateAuditLogging(
      evidence(read([setting('sig=c2V0dGluZy1uYW1l', { logs: [audit], workspaceId: ids.workspace })]), { resource, existence: exists(ids.workspace) }),
      policy(),
      scanTime,
    );
    expect(finding.Tags).toEqual({ owner: 'team-a', note: 'AccountKey=[redacted]' });
    expect(finding.AuditSettings).toEqual(['sig=[redacted]']);
    expect(JSON.stringify(finding)).not.toMatch(/dGFnLWtleQ|c2V0dGluZy1uYW1l/);
  });
});

describe("a setting counts only for the resource it belongs to (its id, not the request's URL)", () => {
  const otherVault = vault().id.replace('kv-app', 'kv-good');
  const own = setting('audit', { logs: [audit], workspaceId: ids.workspace });

  it.each([
    { scenario: "another vault's setting", id: `${otherVault}/providers/microsoft.insights/diagnosticSettings/audit` },
    { scenario: 'a setting of a vault whose name extends this one', id: `${vault().id}-evil/providers/microsoft.insights/diagnosticSettings/audit` },
    { scenario: 'no id at all', id: undefined },
  ])('$scenario is MalformedRecord evidence, never a Pass', ({ id }) => {
    const [record] = settingsOfResource(vault().id, [{ ...own, id }]);
    expect(record).toMatchObject({ ok: false, name: 'audit', problem: expect.stringMatching(/does not belong to this resource$/) });
    const finding = evaluateAuditLogging(evidence({ state: 'Read', source: 'ARM', records: [record!] }, { existence: exists(ids.workspace) }), policy(), scanTime);
    expect(finding).toMatchObject({ Status: 'Error', Reason: 'MalformedRecord' });
  });

  it.each([
    { scenario: 'the usual id', id: `${vault().id}/providers/microsoft.insights/diagnosticSettings/audit` },
    { scenario: 'an id without the provider segment, in other casing', id: `${vault().id.toUpperCase()}/diagnosticSettings/audit` },
  ])('$scenario belongs', ({ id }) => {
    expect(settingsOfResource(vault().id, [{ ...own, id }])).toEqual([expect.objectContaining({ ok: true })]);
  });
});

describe('a setting that cannot say what it enables is an Error, not a Fail', () => {
  // The list API always returns `logs` (an empty array when none is enabled); without it the record says nothing
  // about audit logs, and a Fail would rest on missing evidence.
  it.each([
    { scenario: 'logs: null', properties: { workspaceId: ids.workspace, logs: null } },
    { scenario: 'properties: {}', properties: {} },
    { scenario: 'no properties', properties: undefined },
  ])('$scenario', ({ properties }) => {
    const raw = { ...setting('odd'), properties };
    const finding = evaluateAuditLogging(evidence(read([raw])), policy(), scanTime);
    expect(finding).toMatchObject({ Status: 'Error', Reason: 'MalformedRecord' });
    expect(finding.Detail).toContain("'odd'");
  });
});
