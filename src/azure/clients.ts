import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import type { Pipeline, PipelinePolicy } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';

/** Where the Azure APIs are and how to reach them: real Azure, or the local emulator. */
export interface AzureConnection {
  readonly credential: TokenCredential;
  /** ARM (and Resource Graph) endpoint; the public cloud when absent. */
  readonly armEndpoint?: string;
  /** A CA the clients trust in addition to the system's: the local emulator's self-signed certificate. */
  readonly trustedCertificatePem?: string;
  /** Overrides the SDK retry delays (tests keep them short). */
  readonly retryDelayInMs?: number;
}

/** HTTP requests seen on the wire, retries included: the SDKs retry internally and hide them otherwise. */
export interface WireCounters {
  argRequests: number;
  armRequests: number;
  armThrottled: number;
}

export interface AzureClients {
  readonly resourceGraph: ResourceGraphClient;
  readonly monitor: MonitorClient;
  readonly counters: WireCounters;
  logsIngestion(endpoint: string): LogsIngestionClient;
}

/**
 * Retries per request: throttled requests honour Retry-After, others back off
 * exponentially. Six keeps a scan whole through bursts of faults and throttling.
 */
const maxRetries = 6;

function countRequests(pipeline: Pipeline, count: (status: number) => void): void {
  const policy: PipelinePolicy = {
    name: 'kvAuditWireCounter',
    async sendRequest(request, next) {
      const response = await next(request);
      count(response.status);
      return response;
    },
  };
  // After the retry policy, so every attempt passes through it.
  pipeline.addPolicy(policy, { afterPhase: 'Retry' });
}

export function createAzureClients(connection: AzureConnection): AzureClients {
  const common = {
    ...(connection.trustedCertificatePem ? { tlsOptions: { ca: connection.trustedCertificatePem } } : {}),
    userAgentOptions: { userAgentPrefix: 'kv-audit-monitor' },
  };
  const retry = {
    retryOptions: {
      maxRetries,
      ...(connection.retryDelayInMs === undefined
        ? {}
        : { retryDelayInMs: connection.retryDelayInMs, maxRetryDelayInMs: connection.retryDelayInMs * 8 }),
    },
  };
  const endpoint = connection.armEndpoint ? { endpoint: connection.armEndpoint } : {};
  const counters: WireCounters = { argRequests: 0, armRequests: 0, armThrottled: 0 };

  const resourceGraph = new ResourceGraphClient(connection.credential, { ...common, ...endpoint, ...retry });
  countRequests(resourceGraph.pipeline, () => (counters.argRequests += 1));
  const monitor = new MonitorClient(connection.credential, { ...common, ...endpoint, ...retry });
  countRequests(monitor.pipeline, (status) => {
    counters.armRequests += 1;
    if (status === 429) counters.armThrottled += 1;
  });
  return {
    resourceGraph,
    monitor,
    counters,
    logsIngestion: (ingestionEndpoint) => new LogsIngestionClient(ingestionEndpoint, connection.credential, { ...common, ...retry }),
  };
}
