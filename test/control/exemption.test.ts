import { describe, expect, it } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { readExemption } from '../../src/control/exemption.js';
import { audit, evidence, ids, policy, read, scanTime, setting, vault } from '../support/evidence.js';

const noReason = "tag 'kv-audit-exempt' has no reason; write the justification in the tag value, as '<reason>' or '<reason>; until=YYYY-MM-DD'";
/** A tag's exemption: the source and the fields only a central-list entry has. */
const tag = (fields: { Reason: string; Until: string | null; State: string; Problem: string | null }) => ({ Source: 'Tag', Scope: null, ApprovedBy: null, ...fields });

const looseDate = "tag 'kv-audit-exempt' seems to hold an end date outside the form '<reason>' or '<reason>; until=YYYY-MM-DD'; write it as '; until=YYYY-MM-DD' at the end";

describe('reading the exemption tag: one strict grammar', () => {
  it.each([
    {
      scenario: 'a plain reason is an open-ended exemption',
      value: 'Vendor-managed HSM, ticket SEC-42',
      expected: tag({ Reason: 'Vendor-managed HSM, ticket SEC-42', Until: null, State: 'Active', Problem: null }),
    },
    {
      scenario: 'a reason with until in the future is active',
      value: 'Migration in progress; until=2026-12-31',
      expected: tag({ Reason: 'Migration in progress', Until: '2026-12-31', State: 'Active', Problem: null }),
    },
    {
      scenario: 'the until keyword in any case, spaces around the semicolon',
      value: 'decommissioning ;  UNTIL=2027-01-15',
      expected: tag({ Reason: 'decommissioning', Until: '2027-01-15', State: 'Active', Problem: null }),
    },
    {
      scenario: 'semicolons inside the reason',
      value: 'vendor ships its logs; ticket SEC-7; until=2027-01-15',
      expected: tag({ Reason: 'vendor ships its logs; ticket SEC-7', Until: '2027-01-15', State: 'Active', Problem: null }),
    },
    {
      scenario: 'the until day itself is still covered',
      value: 'last day; until=2026-11-22',
      expected: tag({ Reason: 'last day', Until: '2026-11-22', State: 'Active', Problem: null }),
    },
    {
      scenario: 'an until date in the past has expired',
      value: 'old waiver; until=2026-11-21',
      expected: tag({ Reason: 'old waiver', Until: '2026-11-21', State: 'Expired', Problem: 'exemption expired on 2026-11-21' }),
    },
    {
      scenario: 'an impossible date is invalid',
      value: 'typo; until=2026-02-30',
      expected: tag({ Reason: 'typo', Until: '2026-02-30', State: 'Invalid', Problem: "'until=2026-02-30' is not a date in the form YYYY-MM-DD" }),
    },
    {
      scenario: 'a date in another format is invalid',
      value: 'us date; until=12/31/2026',
      expected: tag({ Reason: 'us date', Until: '12/31/2026', State: 'Invalid', Problem: "'until=12/31/2026' is not a date in the form YYYY-MM-DD" }),
    },
    { scenario: 'an empty value has no reason', value: '', expected: tag({ Reason: '', Until: null, State: 'Invalid', Problem: noReason }) },
    { scenario: 'an until with no reason', value: '; until=2027-01-01', expected: tag({ Reason: '', Until: '2027-01-01', State: 'Invalid', Problem: noReason }) },
    {
      scenario: 'a reason of invisible characters only (zero-width space, bidi mark)',
      value: '\u200b\u200e; until=2099-01-01',
      expected: tag({ Reason: '\u200b\u200e', Until: '2099-01-01', State: 'Invalid', Problem: noReason }),
    },
    { scenario: 'a reason of control characters only', value: '\u0007\u001b\u0000', expected: tag({ Reason: '\u0007\u001b\u0000', Until: null, State: 'Invalid', Problem: noReason }) },
  ])('$scenario', ({ value, expected }) => {
    expect(readExemption({ 'kv-audit-exempt': value }, 'kv-audit-exempt', scanTime)).toEqual(expected);
  });

  // Each of these once read as "no end date": an expired exemption turned a Fail into Exempt forever.
  it.each([
    'Vendor HSM (until=2020-01-01)',
    'valid-until=2020-01-01',
    'until: 2020-01-01',
    '"until=2020-01-01"',
    'until=2020-01-01',
    'UNTIL=2027-01-15 decommissioning',
    'expires=2020-01-01 vendor',
    'Vendor HSM, review on 2020-01-01',
    'Vendor HSM; until=2027-01-01; renewed',
  ])('an end date written outside the grammar makes it invalid: %s', (value) => {
    expect(readExemption({ 'kv-audit-exempt': value }, 'kv-audit-exempt', scanTime)).toMatchObject({ State: 'Invalid', Problem: looseDate });
  });

  it.each<{ scenario: string; tags: Record<string, string>; tag: string; found: boolean }>([
    { scenario: 'no tags', tags: {}, tag: 'kv-audit-exempt', found: false },
    { scenario: 'another tag only', tags: { owner: 'team-a' }, tag: 'kv-audit-exempt', found: false },
    { scenario: 'the tag in other casing (tag names are case-insensitive)', tags: { 'KV-Audit-Exempt': 'r' }, tag: 'kv-audit-exempt', found: true },
    { scenario: 'a configured tag name', tags: { 'security-waiver': 'r' }, tag: 'security-waiver', found: true },
  ])('finds the exemption with $scenario: $found', ({ tags, tag, found }) => {
    expect(readExemption(tags, tag, scanTime) !== null).toBe(found);
  });
});

describe('applying an exemption: evaluated too, so the finding still shows the real state', () => {
  const failing = read([]);
  const passing = read([setting('ok', { logs: [audit], workspaceId: ids.workspace })]);
  const exempt = (value: string) => vault({ tags: { 'kv-audit-exempt': value } });

  it('an active exemption turns a failure into Exempt and keeps the underlying reason in the detail', () => {
    const finding = evaluateAuditLogging(evidence(failing, { resource: exempt('Sandbox; until=2027-01-01') }), policy(), scanTime);
    expect(finding.Status).toBe('Exempt');
    expect(finding.Reason).toBe('Exempted');
    expect(finding.Detail).toMatch(/^Exempted until 2027-01-01 by tag 'kv-audit-exempt': Sandbox\. Without the exemption: Fail \(NoDiagnosticSettings\)/);
    expect(finding.Exemption).toEqual(tag({ Reason: 'Sandbox', Until: '2027-01-01', State: 'Active', Problem: null }));
    expect(finding.Remediation).toContain('az monitor diagnostic-settings create');
  });

  it.each([
    { scenario: 'an expired exemption', value: 'old; until=2025-01-01', note: /ignored: exemption expired on 2025-01-01/ },
    { scenario: 'an exemption with a bad date', value: 'typo; until=2025-13-01', note: /ignored: 'until=2025-13-01' is not a date/ },
    { scenario: 'an exemption without a reason', value: '  ', note: /ignored: tag 'kv-audit-exempt' has no reason/ },
  ])('$scenario is ignored and the detail says so', ({ value, note }) => {
    const finding = evaluateAuditLogging(evidence(failing, { resource: exempt(value) }), policy(), scanTime);
    expect(finding.Status).toBe('Fail');
    expect(finding.Reason).toBe('NoDiagnosticSettings');
    expect(finding.Detail).toMatch(note);
  });

  it('a passing resource stays Pass and notes that its exemption is not needed', () => {
    const finding = evaluateAuditLogging(evidence(passing, { resource: exempt('just in case') }), policy(), scanTime);
    expect(finding.Status).toBe('Pass');
    expect(finding.Detail).toMatch(/Exemption tag 'kv-audit-exempt' is present but not needed\./);
    expect(finding.Exemption?.State).toBe('Active');
  });

  it('an unreadable resource stays an Error: an exemption does not excuse the scanner from reading', () => {
    const finding = evaluateAuditLogging(
      evidence({ state: 'Unreadable', source: 'ARM', reason: 'AccessDenied', message: '403' }, { resource: exempt('lab') }),
      policy(),
      scanTime,
    );
    expect(finding.Status).toBe('Error');
    expect(finding.Exemption?.Reason).toBe('lab');
  });

  it('honours a configured tag name and ignores the default one', () => {
    const resource = vault({ tags: { 'kv-audit-exempt': 'default tag', waiver: 'custom tag' } });
    const finding = evaluateAuditLogging(evidence(failing, { resource }), policy({ exemptionTag: 'waiver' }), scanTime);
    expect(finding.Status).toBe('Exempt');
    expect(finding.Exemption?.Reason).toBe('custom tag');
  });
});

describe('governed exemptions: the central list (KV_AUDIT_EXEMPTIONS) and KV_AUDIT_TAG_EXEMPTIONS', () => {
  const failing = read([]);
  const vaultId = vault().id.toLowerCase();
  const group = vaultId.replace(/\/providers\/.*$/, '');
  const entry = (scope: string, expires = '2027-03-31', reason = 'Vendor-managed HSM, ticket SEC-42') => ({
    scope,
    reason,
    expires,
    approvedBy: 'ciso-office@example.com',
  });
  const evaluate = (overrides: Parameters<typeof policy>[0], tags: Record<string, string> = {}, settings = failing) =>
    evaluateAuditLogging(evidence(settings, { resource: vault({ tags }) }), policy(overrides), scanTime);

  it.each([
    { scenario: 'an entry for the vault itself', scopes: [vaultId], applied: vaultId },
    { scenario: 'an entry for its resource group', scopes: [group], applied: group },
    { scenario: 'an entry for its subscription', scopes: [`/subscriptions/${vault().subscriptionId}`], applied: `/subscriptions/${vault().subscriptionId}` },
    { scenario: 'the most specific of several', scopes: [`/subscriptions/${vault().subscriptionId}`, group, vaultId], applied: vaultId },
  ])('$scenario exempts a failing vault, saying which entry and who approved it', ({ scopes, applied }) => {
    const finding = evaluate({ exemptions: scopes.map((s) => entry(s)) });
    expect(finding).toMatchObject({
      Status: 'Exempt',
      Reason: 'Exempted',
      Exemption: { Source: 'CentralList', Scope: applied, Until: '2027-03-31', ApprovedBy: 'ciso-office@example.com', State: 'Active', Problem: null },
    });
    expect(finding.Detail).toMatch(
      new RegExp(`^Exempted until 2027-03-31 by the central exemption list entry for ${applied.replace(/[/.]/g, '\\$&')}, approved by ciso-office@example\\.com: Vendor-managed HSM, ticket SEC-42\\. Without the exemption: Fail \\(NoDiagnosticSettings\\)`),
    );
  });

  it('a group whose name starts like the vault\'s is not its group: scopes match whole path segments', () => {
    expect(evaluate({ exemptions: [entry(`${group}2`)] }).Status).toBe('Fail');
  });

  it('an expired vault entry gives way to an active entry for its group', () => {
    expect(evaluate({ exemptions: [entry(vaultId, '2026-01-31'), entry(group)] }).Exemption).toMatchObject({ Scope: group, State: 'Active' });
  });

  it('an expired entry is ignored, and the detail says so', () => {
    const finding = evaluate({ exemptions: [entry(vaultId, '2026-11-21')] });
    expect(finding).toMatchObject({ Status: 'Fail', Reason: 'NoDiagnosticSettings', Exemption: { Source: 'CentralList', State: 'Expired' } });
    expect(finding.Detail).toContain(`Central exemption for ${vaultId} ignored: central exemption list entry expired on 2026-11-21.`);
  });

  it('the central list wins over the tag', () => {
    const finding = evaluate({ exemptions: [entry(vaultId)] }, { 'kv-audit-exempt': 'self-service reason' });
    expect(finding.Exemption).toMatchObject({ Source: 'CentralList', Reason: 'Vendor-managed HSM, ticket SEC-42' });
  });

  it('with tag exemptions off, a tag exempts nothing and is reported Disabled; the central list still exempts', () => {
    const tagged = { 'kv-audit-exempt': 'owner says so' };
    const tagOnly = evaluate({ tagExemptions: false }, tagged);
    expect(tagOnly).toMatchObject({ Status: 'Fail', Exemption: { Source: 'Tag', State: 'Disabled', Reason: 'owner says so' } });
    expect(tagOnly.Detail).toMatch(/Exemption tag 'kv-audit-exempt' ignored: self-service exemption tags are off \(KV_AUDIT_TAG_EXEMPTIONS=off\)/);
    expect(evaluate({ tagExemptions: false, exemptions: [entry(vaultId)] }, tagged).Status).toBe('Exempt');
  });

  it('never hides an Error, whatever its source', () => {
    const unreadable = { state: 'Unreadable', source: 'ARM', reason: 'ReadFailed', message: '500' } as const;
    const finding = evaluate({ exemptions: [entry(vaultId)] }, {}, unreadable);
    expect(finding).toMatchObject({ Status: 'Error', Reason: 'ReadFailed', Exemption: { Source: 'CentralList', State: 'Active' } });
  });
});
