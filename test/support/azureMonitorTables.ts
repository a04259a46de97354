import type { KqlTable } from './kusto.js';

/*
 * The Key Vault audit-log tables that the "which secrets were read" queries read, for the KQL checks.
 * AZKVAuditLogs: every column of the Azure Monitor table reference (azure-reference-other, tables/azkvauditlogs).
 * AzureDiagnostics: the columns Key Vault AuditEvent rows are documented to carry in the legacy table (Key Vault
 * Analytics solution and monitoring data reference). Claim columns that only some tenants get are left out on
 * purpose: the queries must reach them through column_ifexists.
 */

export const azkvAuditLogsTable: KqlTable = {
  name: 'AZKVAuditLogs',
  columns: [
    { name: 'AddressAuthorizationType', type: 'String' },
    { name: 'Algorithm', type: 'String' },
    { name: 'AppliedAssignmentId', type: 'String' },
    { name: '_BilledSize', type: 'Real' },
    { name: 'CallerIpAddress', type: 'String' },
    { name: 'CertificateIssuerProperties', type: 'Dynamic' },
    { name: 'CertificatePolicyProperties', type: 'Dynamic' },
    { name: 'CertificateProperties', type: 'Dynamic' },
    { name: 'CertificateRequestProperties', type: 'Dynamic' },
    { name: 'ClientInfo', type: 'String' },
    { name: 'CorrelationId', type: 'String' },
    { name: 'DurationMs', type: 'Int' },
    { name: 'EnabledForDeployment', type: 'Bool' },
    { name: 'EnabledForDiskEncryption', type: 'Bool' },
    { name: 'EnabledForTemplateDeployment', type: 'Bool' },
    { name: 'EnablePurgeProtection', type: 'Bool' },
    { name: 'EnableRbacAuthorization', type: 'Bool' },
    { name: 'EnableSoftDelete', type: 'Bool' },
    { name: 'HsmPoolResourceId', type: 'String' },
    { name: 'HttpStatusCode', type: 'Int' },
    { name: 'Id', type: 'String' },
    { name: 'Identity', type: 'Dynamic' },
    { name: 'IsAccessPolicyMatch', type: 'Bool' },
    { name: 'IsAddressAuthorized', type: 'Bool' },
    { name: '_IsBillable', type: 'String' },
    { name: 'IsRbacAuthorized', type: 'Bool' },
    { name: 'KeyProperties', type: 'Dynamic' },
    { name: 'NetworkAcls', type: 'Dynamic' },
    { name: 'Nsp', type: 'Dynamic' },
    { name: 'OperationName', type: 'String' },
    { name: 'OperationVersion', type: 'String' },
    { name: 'Properties', type: 'Dynamic' },
    { name: 'RequestUri', type: 'String' },
    { name: '_ResourceId', type: 'String' },
    { name: 'ResultDescription', type: 'String' },
    { name: 'ResultSignature', type: 'String' },
    { name: 'ResultType', type: 'String' },
    { name: 'SecretProperties', type: 'Dynamic' },
    { name: 'Sku', type: 'Dynamic' },
    { name: 'SoftDeleteRetentionInDays', type: 'Int' },
    { name: 'SourceSystem', type: 'String' },
    { name: 'StorageAccountProperties', type: 'Dynamic' },
    { name: 'StorageSasDefinitionProperties', type: 'Dynamic' },
    { name: 'SubnetId', type: 'String' },
    { name: '_SubscriptionId', type: 'String' },
    { name: 'TenantId', type: 'String' },
    { name: 'TimeGenerated', type: 'DateTime' },
    { name: 'Tlsversion', type: 'String' },
    { name: 'TrustedService', type: 'String' },
    { name: 'Type', type: 'String' },
    { name: 'VaultProperties', type: 'Dynamic' },
  ],
};

export const azureDiagnosticsTable: KqlTable = {
  name: 'AzureDiagnostics',
  columns: [
    { name: 'TimeGenerated', type: 'DateTime' },
    { name: 'Category', type: 'String' },
    { name: 'CallerIPAddress', type: 'String' },
    { name: 'CorrelationId', type: 'String' },
    { name: 'DurationMs', type: 'Long' },
    { name: 'httpStatusCode_d', type: 'Real' },
    { name: 'id_s', type: 'String' },
    { name: 'identity_claim_appid_g', type: 'Guid' },
    { name: 'identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s', type: 'String' },
    { name: 'Level', type: 'String' },
    { name: 'OperationName', type: 'String' },
    { name: 'OperationVersion', type: 'String' },
    { name: 'properties_s', type: 'String' },
    { name: 'Region_s', type: 'String' },
    { name: 'requestUri_s', type: 'String' },
    { name: 'Resource', type: 'String' },
    { name: 'ResourceGroup', type: 'String' },
    { name: 'ResourceId', type: 'String' },
    { name: 'ResourceProvider', type: 'String' },
    { name: 'ResourceType', type: 'String' },
    { name: 'ResultSignature', type: 'String' },
    { name: 'ResultType', type: 'String' },
    { name: 'SourceSystem', type: 'String' },
    { name: 'SubscriptionId', type: 'String' },
    { name: 'TenantId', type: 'String' },
    { name: 'Type', type: 'String' },
    { name: '_ResourceId', type: 'String' },
  ],
};

/** Both audit-log tables, to pass to `kqlProblems` next to `findingsWorkspaceSchema`. */
export const keyVaultAuditLogSchema: readonly KqlTable[] = [azkvAuditLogsTable, azureDiagnosticsTable];
