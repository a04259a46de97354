/** Shown in place of a workspace id when no default remediation workspace is configured. */
const workspacePlaceholder = '<log-analytics-workspace-resource-id>';

/** The diagnostic setting name the remediation creates; one more setting never disturbs existing ones. */
const remediationSettingName = 'kv-audit-logs';

/** POSIX single-quoting: resource names may carry characters a shell would interpret. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A ready `az` command that sends the resource's audit category group to a workspace. */
export function azCliRemediation(resourceId: string, workspaceId: string | null): string {
  return [
    'az monitor diagnostic-settings create',
    `--name ${remediationSettingName}`,
    `--resource ${shellQuote(resourceId)}`,
    `--workspace ${shellQuote(workspaceId ?? workspacePlaceholder)}`,
    `--logs '[{"categoryGroup":"audit","enabled":true}]'`,
  ].join(' ');
}
