import { describe, expect, it } from 'vitest';
import { evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { readExemption } from '../../src/control/exemption.js';
import { audit, evidence, ids, policy, read, scanTime, setting, vault } from '../support/evidence.js';

const noReason = "tag 'kv-audit-exempt' has no reason; write the justification in the tag value, as '<reason>' or '<reason>; until=YYYY-MM-DD'";
const looseDate = "tag 'kv-audit-exempt' seems to hold an end date outside the form '<reason>' or '<reason>; until=YYYY-MM-DD'; write it as '; until=YYYY-MM-DD' at the end";

describe('reading the exemption tag: one strict grammar', () => {
  it.each([
    {
      scenario: 'a plain reason is an open-ended exemption',
      value: 'Vendor-managed HSM, ticket SEC-42',
      expected: { Reason: 'Vendor-managed HSM, ticket SEC-42', Until: null, State: 'Active', Problem: null },
    },
    {
      scenario: 'a reason with until in the future is active',
      value: 'Migration in progress; until=2026-12-31',
      expected: { Reason: 'Migration in progress', Until: '2026-12-31', State: 'Active', Problem: null },
    },
    {
      scenario: 'the until keyword in any case, spaces around the semicolon',
      value: 'decommissioning ;  UNTIL=2027-01-15',
      expected: { Reason: 'decommissioning', Until: '2027-01-15', State: 'Active', Problem: null },
    },
    {
      scenario: 'semicolons inside the reason',
      value: 'vendor ships its logs; ticket SEC-7; until=2027-01-15',
      expected: { Reason: 'vendor ships its logs; ticket SEC-7', Until: '2027-01-15', State: 'Active', Problem: null },
    },
    {
      scenario: 'the until day itself is still covered',
      value: 'last day; until=2026-11-22',
      expected: { Reason: 'last day', Until: '2026-11-22', State: 'Active', Problem: null },
    },
    {
      scenario: 'an until date in the past has expired',
      value: 'old waiver; until=2026-11-21',
      expected: { Reason: 'old waiver', Until: '2026-11-21', State: 'Expired', Problem: 'exemption expired on 2026-11-21' },
    },
    {
      scenario: 'an impossible date is invalid',
      value: 'typo; until=2026-02-30',
      expected: { Reason: 'typo', Until: '2026-02-30', State: 'Invalid', Problem: "'until=2026-02-30' is not a date in the form YYYY-MM-DD" },
    },
    {
      scenario: 'a date in another format is invalid',
      value: 'us date; until=12/31/2026',
      expected: { Reason: 'us date', Until: '12/31/2026', State: 'Invalid', Problem: "'until=12/31/2026' is not a date in the form YYYY-MM-DD" },
    },
    { scenario: 'an empty value has no reason', value: '', expected: { Reason: '', Until: null, State: 'Invalid', Problem: noReason } },
    { scenario: 'an until with no reason', value: '; until=2027-01-01', expected: { Reason: '', Until: '2027-01-01', State: 'Invalid', Problem: noReason } },
    {
      scenario: 'a reason of invisible characters only (zero-width space, bidi mark)',
      value: '\u200b\u200e; until=2099-01-01',
      expected: { Reason: '\u200b\u200e', Until: '2099-01-01', State: 'Invalid', Problem: noReason },
    },
    { scenario: 'a reason of control characters only', value: '\u0007\u001b\u0000', expected: { Reason: '\u0007\u001b\u0000', Until: null, State: 'Invalid', Problem: noReason } },
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
    expect(finding.Exemption).toEqual({ Reason: 'Sandbox', Until: '2027-01-01', State: 'Active', Problem: null });
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
