import type { z } from 'zod';
import type { findingRowSchema } from '../findings/schema.js';

type Severity = z.infer<typeof findingRowSchema>['Severity'];

export interface ComplianceMapping {
  readonly framework: string;
  readonly version: string;
  readonly control: string;
  readonly title: string;
  /** Where the mapping comes from. */
  readonly source: string;
}

export interface ControlMetadata {
  readonly id: string;
  readonly title: string;
  readonly resourceTypes: readonly string[];
  readonly severity: Severity;
  readonly severityRationale: string;
  readonly description: string;
  readonly risk: string;
  readonly remediation: string;
  readonly references: readonly { readonly title: string; readonly url: string }[];
  readonly compliance: readonly ComplianceMapping[];
}

export const auditLoggingControl: ControlMetadata = {
  id: 'kv-audit-logging-delivered',
  title: 'Key Vault and Managed HSM audit logs are delivered to a destination',
  resourceTypes: ['microsoft.keyvault/vaults', 'microsoft.keyvault/managedhsms'],
  severity: 'High',
  severityRationale:
    'Vaults hold the credentials and keys that unlock everything else. Without the data-plane audit log an incident ' +
    'responder cannot say which secrets were read, so every secret in the vault must be treated as compromised. ' +
    'Logs are not retroactive: the gap cannot be closed after the fact. Prowler and Terrascan rate it high; ' +
    'Defender for Cloud rates the related policy low because it checks configuration, not exposure.',
  description:
    'Every Key Vault and Managed HSM has a diagnostic setting that enables the AuditEvent category (or the audit or ' +
    'allLogs category group) and sends it to a Log Analytics workspace, storage account, event hub or partner ' +
    'solution that still exists and, when an approved list is configured, is approved.',
  risk:
    'Secret, key and certificate operations (SecretGet, KeyDecrypt, CertificateGet, …) are recorded only in the ' +
    'resource log; the Activity Log covers control-plane changes alone. A vault whose audit log goes nowhere, or to ' +
    'a deleted workspace, leaves no trail of who used its secrets.',
  remediation:
    'Create a diagnostic setting on the resource with the audit category group sent to the central Log Analytics ' +
    'workspace (the finding carries the exact az command), or assign the built-in DeployIfNotExists policy so new ' +
    'vaults get one automatically.',
  references: [
    { title: 'Azure Key Vault logging', url: 'https://learn.microsoft.com/en-us/azure/key-vault/general/logging' },
    { title: 'Monitor Azure Key Vault', url: 'https://learn.microsoft.com/en-us/azure/key-vault/general/monitor-key-vault' },
    {
      title: 'Managed HSM logging',
      url: 'https://learn.microsoft.com/en-us/azure/key-vault/managed-hsm/logging',
    },
    {
      title: 'Diagnostic settings in Azure Monitor',
      url: 'https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/diagnostic-settings',
    },
    {
      title: 'Create diagnostic settings in Azure Monitor',
      url: 'https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/create-diagnostic-settings',
    },
  ],
  compliance: [
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '2.0.0',
      control: '5.1.5',
      title: "Ensure that logging for Azure Key Vault is 'Enabled'",
      source: 'CIS benchmark text (as carried in Prowler compliance/azure/cis_*_azure.json and mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '2.1.0',
      control: '5.1.4',
      title: "Ensure that logging for Azure Key Vault is 'Enabled'",
      source: 'CIS benchmark text (as carried in Prowler compliance/azure/cis_*_azure.json and mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '3.0.0',
      control: '6.1.4',
      title: "Ensure that logging for Azure Key Vault is 'Enabled'",
      source: 'CIS benchmark text (as carried in Prowler compliance/azure/cis_*_azure.json and mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '4.0.0',
      control: '7.1.1.4',
      title: "Ensure that logging for Azure Key Vault is 'Enabled'",
      source: 'CIS benchmark text (as carried in Prowler compliance/azure/cis_*_azure.json and mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '5.0.0',
      control: '6.1.1.4',
      title: "Ensure that logging for Azure Key Vault is 'Enabled'",
      source: 'CIS benchmark text (as carried in Prowler compliance/azure/cis_*_azure.json and mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'CIS Microsoft Azure Foundations Benchmark',
      version: '6.0.0',
      control: '6.1.1.4',
      title: "Ensure that Logging for Azure Key Vault is 'Enabled'",
      source: "CIS benchmark text as carried in Prowler compliance/azure/cis_6.0_azure.json (audit and allLogs checked, a destination configured: KV_AUDIT_PROFILE=cis)",
    },
    {
      framework: 'Microsoft cloud security benchmark',
      version: 'v1',
      control: 'LT-3',
      title: 'Enable logging for security investigation',
      source: 'https://learn.microsoft.com/en-us/security/benchmark/azure/mcsb-logging-threat-detection#lt-3-enable-logging-for-security-investigation',
    },
    {
      framework: 'Microsoft cloud security benchmark',
      version: 'v1',
      control: 'DP-8',
      title: 'Ensure security of key and certificate repository',
      source: 'https://learn.microsoft.com/en-us/security/benchmark/azure/mcsb-data-protection#dp-8-ensure-security-of-key-and-certificate-repository',
    },
    {
      framework: 'NIST SP 800-53',
      version: 'Rev. 5',
      control: 'AU-12',
      title: 'Audit Record Generation',
      source: 'Azure Policy NIST SP 800-53 Rev. 5 initiative mapping of "Resource logs in Key Vault should be enabled"',
    },
    {
      framework: 'NIST SP 800-53',
      version: 'Rev. 5',
      control: 'AU-6(4)',
      title: 'Audit Record Review, Analysis, and Reporting | Central Review and Analysis',
      source: 'Azure Policy NIST SP 800-53 Rev. 5 initiative mapping of "Resource logs in Key Vault should be enabled"',
    },
    {
      framework: 'CIS Controls',
      version: 'v8',
      control: '8.5',
      title: 'Collect Detailed Audit Logs',
      source: 'CIS Azure Foundations v3.0.0 6.1.4 safeguard mapping (mitre/azure-foundations-cis-baseline)',
    },
    {
      framework: 'ISO/IEC 27001',
      version: '2022',
      control: 'A.8.15',
      title: 'Logging',
      source: 'Prowler compliance/azure/iso27001_2022_azure.json (keyvault_logging_enabled)',
    },
    {
      framework: 'SOC 2',
      version: '2017 TSC',
      control: 'CC7.2',
      title: 'The entity monitors system components for anomalies',
      source: 'Prowler compliance/azure/soc2_azure.json (keyvault_logging_enabled)',
    },
    {
      framework: 'HIPAA Security Rule',
      version: '45 CFR 164',
      control: '164.312(b)',
      title: 'Audit controls',
      source: 'Prowler compliance/azure/hipaa_azure.json (keyvault_logging_enabled)',
    },
    {
      framework: 'PCI DSS',
      version: '4.0',
      control: '10.2.1',
      title: 'Audit logs are enabled and active for all system components and cardholder data',
      source: "kv-audit-monitor's own mapping from the requirement text; no published tool mapping found",
    },
    {
      framework: 'PCI DSS',
      version: '4.0',
      control: '10.5.1',
      title: 'Retain audit log history for at least 12 months, with at least the most recent three months immediately available for analysis',
      source: "kv-audit-monitor's own mapping from the requirement text: checked with KV_AUDIT_MIN_RETENTION_DAYS=365 (total retention of each destination)",
    },
  ],
};
