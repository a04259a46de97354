import { describe, expect, it } from 'vitest';
import { auditLoggingControl } from '../../src/control/auditLogging.metadata.js';

describe('control metadata', () => {
  it('covers both resource types the scan inventories', () => {
    expect(auditLoggingControl.resourceTypes).toEqual(['microsoft.keyvault/vaults', 'microsoft.keyvault/managedhsms']);
  });

  it.each([
    ['2.0.0', '5.1.5'],
    ['2.1.0', '5.1.4'],
    ['3.0.0', '6.1.4'],
    ['4.0.0', '7.1.1.4'],
    ['5.0.0', '6.1.1.4'],
    ['6.0.0', '6.1.1.4'],
  ])('maps CIS Microsoft Azure Foundations v%s to %s', (version, control) => {
    expect(auditLoggingControl.compliance).toContainEqual(
      expect.objectContaining({ framework: 'CIS Microsoft Azure Foundations Benchmark', version, control }),
    );
  });

  it('maps MCSB LT-3', () => {
    expect(auditLoggingControl.compliance).toContainEqual(expect.objectContaining({ framework: 'Microsoft cloud security benchmark', control: 'LT-3' }));
  });

  it('names a source for every mapping and has no empty fields', () => {
    for (const mapping of auditLoggingControl.compliance) expect(Object.values(mapping).every((v) => v.trim() !== '')).toBe(true);
    for (const text of [auditLoggingControl.title, auditLoggingControl.description, auditLoggingControl.risk, auditLoggingControl.remediation, auditLoggingControl.severityRationale]) {
      expect(text.length).toBeGreaterThan(20);
    }
  });

  it('references Microsoft Learn pages on Key Vault logging and diagnostic settings', () => {
    const urls = auditLoggingControl.references.map((r) => r.url);
    expect(urls).toContain('https://learn.microsoft.com/en-us/azure/key-vault/general/logging');
    expect(urls).toContain('https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/diagnostic-settings');
    expect(urls.every((u) => u.startsWith('https://learn.microsoft.com/'))).toBe(true);
  });
});
