import { readFileSync } from 'node:fs';

/** Verbatim examples from Azure/azure-rest-api-specs (MIT), copied under test/fixtures with their sources. */
const root = new URL('../fixtures/azure-rest-api-specs/', import.meta.url);

export const specPaths = {
  listDiagnosticSettings: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/listDiagnosticSettings.json',
  listDiagnosticSettingsCategory: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/listDiagnosticSettingsCategory.json',
  getDiagnosticSetting: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/getDiagnosticSetting.json',
  getDiagnosticSettingCategory: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/getDiagnosticSettingCategory.json',
  createOrUpdateDiagnosticSetting: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/createOrUpdateDiagnosticSetting.json',
  createOrUpdateDiagnosticSettingCategory: 'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples/createOrUpdateDiagnosticSettingCategory.json',
  getVault: 'keyvault/resource-manager/Microsoft.KeyVault/stable/2025-05-01/examples/getVault.json',
  listVaultBySubscription: 'keyvault/resource-manager/Microsoft.KeyVault/stable/2025-05-01/examples/listVaultBySubscription.json',
  getManagedHsm: 'keyvault/resource-manager/Microsoft.KeyVault/stable/2025-05-01/examples/ManagedHsm_Get.json',
  ingest: 'monitor/data-plane/ingestion/stable/2023-01-01/examples/post_IngestUsingDataCollectionRule.json',
  argFirstPage: 'resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/examples/ResourcesFirstPageQuery.json',
  argNextPage: 'resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/examples/ResourcesNextPageQuery.json',
  argManagementGroup: 'resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/examples/ResourcesMgBasicQuery.json',
} as const;

export interface SpecExample {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown }>;
}

export function specExample(name: keyof typeof specPaths): SpecExample {
  return JSON.parse(readFileSync(new URL(specPaths[name], root), 'utf8')) as SpecExample;
}

/** The 200 response body of an example. */
export function specBody<T = unknown>(name: keyof typeof specPaths): T {
  return specExample(name).responses['200']?.body as T;
}
