import type { AzureConnection } from '../../src/azure/clients.js';
import { type Env, loadSettings } from '../../src/config/settings.js';
import { type Emulator, type Estate, emulatorCredential } from './emulator.js';
import type { FindingRow, ScanTrigger } from '../../src/findings/schema.js';
import { type ScanResult, runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';

/** Running the real scan, through the real SDK clients, against an emulator. */

export function emulatorConnection(emulator: Emulator): AzureConnection {
  // Short retry delays keep fault and throttling scenarios fast; the retry logic itself is the real one.
  return {
    credential: emulatorCredential,
    armEndpoint: emulator.url,
    logsQueryEndpoint: `${emulator.url}/v1`,
    trustedCertificatePem: emulator.certificatePem,
    retryDelayInMs: 5,
  };
}

export function emulatorEnv(emulator: Emulator, env: Env = {}): Env {
  return { ...env, KV_AUDIT_LOGS_INGESTION_ENDPOINT: emulator.url, KV_AUDIT_DCR_IMMUTABLE_ID: emulator.dcrImmutableId };
}

export interface ScanRun extends ScanResult {
  /** In resource id order (the scan makes them in completion order). */
  readonly findings: readonly FindingRow[];
  readonly log: readonly string[];
}

export async function scanEmulator(
  emulator: Emulator,
  env: Env = {},
  options: { ingest?: boolean; trigger?: ScanTrigger } = {},
): Promise<ScanRun> {
  const ingest = options.ingest ?? true;
  const settings = loadSettings(emulatorEnv(emulator, env), { requireIngestion: ingest });
  const log: string[] = [];
  const findings: FindingRow[] = [];
  const result = await runScan(
    settings,
    options.trigger ?? 'Demo',
    scanDependencies(emulatorConnection(emulator), settings, {
      ingest,
      log: { info: (m) => log.push(m), warn: (m) => log.push(`warn: ${m}`) },
      onFinding: (finding) => findings.push(finding),
    }),
  );
  findings.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId));
  return { ...result, findings, log };
}

const subscription = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

/**
 * A generated estate: `vaults` Key Vaults spread over `subscriptions` subscriptions, every
 * other one sending audit logs to one workspace. For paging, batching and chunking scenarios.
 */
export function generatedEstate(options: { vaults: number; subscriptions: number; tagBytes?: number }): Estate {
  const subscriptions = Array.from({ length: options.subscriptions }, (_, i) => subscription(i + 1));
  const workspace = `/subscriptions/${subscriptions[0]}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central`;
  const vaults = Array.from({ length: options.vaults }, (_, i) => ({
    id: `/subscriptions/${subscriptions[i % subscriptions.length]}/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-${String(i).padStart(5, '0')}`,
    name: `kv-${String(i).padStart(5, '0')}`,
    type: 'Microsoft.KeyVault/vaults',
    location: 'westeurope',
    tags: (options.tagBytes ? { notes: 'n'.repeat(options.tagBytes) } : {}) as Record<string, string>,
  }));
  return {
    resources: [{ id: workspace, name: 'law-central', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope' }, ...vaults],
    diagnosticSettings: vaults
      .filter((_, i) => i % 2 === 0)
      .map((vault) => ({
        id: `${vault.id}/providers/microsoft.insights/diagnosticSettings/audit`,
        name: 'audit',
        type: 'Microsoft.Insights/diagnosticSettings',
        properties: { workspaceId: workspace, logs: [{ categoryGroup: 'audit', enabled: true }] },
      })),
    denied: [],
    resourceGraphIndexesDiagnosticSettings: false,
  };
}
