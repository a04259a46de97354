import type { ControlProfile } from '../findings/schema.js';

/** Shown in place of a workspace id when no default remediation workspace is configured. */
const workspacePlaceholder = '<log-analytics-workspace-resource-id>';

/** The diagnostic setting name the remediation creates; one more setting never disturbs existing ones. */
export const remediationSettingName = 'kv-audit-logs';

/**
 * The log entries a fix enables, for a profile: the audit group; for cis both the audit and allLogs groups, as CIS
 * Azure Foundations 6.1.1.4 words it. The az command, `kv-audit fix` and the documented Bicep all use exactly these.
 */
export function remediationLogs(profile: ControlProfile): { categoryGroup: 'audit' | 'allLogs'; enabled: true }[] {
  return profile === 'cis'
    ? [
        { categoryGroup: 'audit', enabled: true },
        { categoryGroup: 'allLogs', enabled: true },
      ]
    : [{ categoryGroup: 'audit', enabled: true }];
}

/** POSIX single-quoting: resource names may carry characters a shell would interpret. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A ready `az` command that sends the resource's audit logs (the profile's category groups) to a workspace, into
 * the resource-specific AZKVAuditLogs table that the shipped queries read.
 */
export function azCliRemediation(resourceId: string, workspaceId: string | null, profile: ControlProfile = 'default'): string {
  return [
    'az monitor diagnostic-settings create',
    `--name ${remediationSettingName}`,
    `--resource ${shellQuote(resourceId)}`,
    `--workspace ${shellQuote(workspaceId ?? workspacePlaceholder)}`,
    `--logs ${shellQuote(JSON.stringify(remediationLogs(profile)))}`,
    '--export-to-resource-specific true',
  ].join(' ');
}
