import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import {
  type HttpClient,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
  createDefaultHttpClient,
  createPipelineRequest,
  exponentialRetryPolicy,
  systemErrorRetryPolicy,
} from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { subscriptionIdOf } from '../control/resourceId.js';
import { KvAuditError } from '../errors.js';
import { type ArmBudgetSignal, ArmReadPacer } from './armReadPacer.js';

/** Where the Azure APIs are and how to reach them: real Azure, or the local emulator. */
export interface AzureConnection {
  readonly credential: TokenCredential;
  /** ARM (and Resource Graph) endpoint; the public cloud when absent. */
  readonly armEndpoint?: string;
  /** A CA the clients trust in addition to the system's: the local emulator's self-signed certificate. */
  readonly trustedCertificatePem?: string;
  /** Overrides the SDK retry delays (tests keep them short). */
  readonly retryDelayInMs?: number;
  /** The Log Analytics query API; the public cloud's when absent (https://api.loganalytics.io/v1). */
  readonly logsQueryEndpoint?: string;
  /** The clock (ms) answers are timed by, and the scan's: the real one when absent (tests move an emulator's). */
  readonly now?: () => number;
  /**
   * Sends every request of every client instead of the SDK's own sockets: the benchmark puts a simulated Azure here,
   * in virtual time. Absent in production.
   */
  readonly httpClient?: HttpClient;
}

/** HTTP requests seen on the wire, retries included: the SDKs retry internally and hide them otherwise. */
export interface WireCounters {
  argRequests: number;
  armRequests: number;
  armThrottled: number;
}

/** ARM's answer to a GET of one resource. */
export interface ArmResourceResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: { get(name: string): string | undefined };
}

export interface AzureClients {
  readonly resourceGraph: ResourceGraphClient;
  readonly monitor: MonitorClient;
  readonly counters: WireCounters;
  /** What ARM's answers say about each subscription's read budget. */
  readonly armReadPacer: ArmReadPacer;
  /**
   * GET {resourceId}?api-version=…[&more query], through the ARM client's pipeline (credential, retries, counters,
   * pacing signals).
   */
  getArmResource(resourceId: string, apiVersion: string, abortSignal?: AbortSignal, query?: Readonly<Record<string, string>>): Promise<ArmResourceResponse>;
  /** GET an absolute URL on the ARM endpoint (a list's nextLink), through the same pipeline; refuses any other origin. */
  getArmUrl(url: string, abortSignal?: AbortSignal): Promise<ArmResourceResponse>;
  logsIngestion(endpoint: string): LogsIngestionClient;
  /** Queries of Log Analytics workspaces (the scan asks its own findings workspace what arrived). */
  readonly logsQuery: LogsQueryClient;
}

/**
 * Retries per request: throttled requests honour Retry-After, others back off
 * exponentially. Six keeps a scan whole through bursts of faults and throttling.
 */
const maxRetries = 6;

/** Each attempt of a read (the SDK retries inside it) gives up after this long instead of waiting forever. */
export const requestTimeoutMs = 60_000;

interface WireObserver<Mark> {
  /** Every attempt, as it is sent: one whose connection breaks before an answer counts too. */
  readonly sent: (request: PipelineRequest) => Mark;
  readonly answered?: (response: PipelineResponse, mark: Mark) => void;
  /** An attempt that got no answer (a broken connection, a timeout). */
  readonly unanswered?: (request: PipelineRequest, mark: Mark) => void;
}

function observeWire<Mark>(pipeline: Pipeline, observer: WireObserver<Mark>): void {
  const policy: PipelinePolicy = {
    name: 'kvAuditWireObserver',
    async sendRequest(request, next) {
      const mark = observer.sent(request);
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (error) {
        observer.unanswered?.(request, mark);
        throw error;
      }
      observer.answered?.(response, mark);
      return response;
    },
  };
  // After the retry policy, so every attempt passes through it.
  pipeline.addPolicy(policy, { afterPhase: 'Retry' });
}

function headerCount(response: PipelineResponse, name: string): number | null {
  const value = Number(response.headers.get(name) ?? Number.NaN);
  return Number.isFinite(value) ? value : null;
}

function budgetSignal(response: PipelineResponse): ArmBudgetSignal {
  return {
    remainingReads: headerCount(response, 'x-ms-ratelimit-remaining-subscription-reads'),
    remainingGlobalReads: headerCount(response, 'x-ms-ratelimit-remaining-subscription-global-reads'),
  };
}

const publicCloudArm = 'https://management.azure.com';

/** The scope of an ARM token at this connection's endpoint: what every request the clients send needs. */
export function armTokenScope(connection: AzureConnection): string {
  return `${(connection.armEndpoint ?? publicCloudArm).replace(/\/+$/, '')}/.default`;
}

/** The options every SDK client of a connection shares: the emulator's CA, a user agent, and the retries. */
function sdkOptions(connection: AzureConnection, userAgentPrefix = 'kv-audit-monitor') {
  const common = {
    ...(connection.trustedCertificatePem ? { tlsOptions: { ca: connection.trustedCertificatePem } } : {}),
    userAgentOptions: { userAgentPrefix },
    ...(connection.httpClient ? { httpClient: connection.httpClient } : {}),
  };
  const retry = {
    retryOptions: {
      maxRetries,
      ...(connection.retryDelayInMs === undefined
        ? {}
        : { retryDelayInMs: connection.retryDelayInMs, maxRetryDelayInMs: connection.retryDelayInMs * 8 }),
    },
  };
  return { common, retry };
}

export function createAzureClients(connection: AzureConnection): AzureClients {
  const { common, retry } = sdkOptions(connection);
  const endpoint = connection.armEndpoint ? { endpoint: connection.armEndpoint } : {};
  const counters: WireCounters = { argRequests: 0, armRequests: 0, armThrottled: 0 };

  const resourceGraph = new ResourceGraphClient(connection.credential, { ...common, ...endpoint, ...retry });
  observeWire(resourceGraph.pipeline, { sent: () => (counters.argRequests += 1) });
  const monitor = new MonitorClient(connection.credential, { ...common, ...endpoint, ...retry });
  // A throttled ARM read is not waited out inside the SDK, holding a socket while other subscriptions could
  // use it: the read queue puts it back and the pacer holds its subscription for the Retry-After.
  monitor.pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  monitor.pipeline.addPolicy(exponentialRetryPolicy(retry.retryOptions), { phase: 'Retry' });
  monitor.pipeline.addPolicy(systemErrorRetryPolicy(retry.retryOptions), { phase: 'Retry' });
  const armReadPacer = new ArmReadPacer();
  const clock = connection.now ?? Date.now;
  const subscriptionOf = (request: PipelineRequest) => subscriptionIdOf(new URL(request.url).pathname);
  observeWire(monitor.pipeline, {
    sent: (request) => {
      counters.armRequests += 1;
      const subscriptionId = subscriptionOf(request);
      return subscriptionId ? armReadPacer.onWire(subscriptionId, clock()) : 0;
    },
    answered: (response, mark) => {
      if (response.status === 429) counters.armThrottled += 1;
      const subscriptionId = subscriptionOf(response.request);
      if (subscriptionId) armReadPacer.observed(subscriptionId, budgetSignal(response), clock(), mark);
    },
    unanswered: (request, mark) => {
      const subscriptionId = subscriptionOf(request);
      if (subscriptionId) armReadPacer.offWire(subscriptionId, mark, clock());
    },
  });
  const httpClient: HttpClient = connection.httpClient ?? createDefaultHttpClient();
  const armEndpoint = (connection.armEndpoint ?? publicCloudArm).replace(/\/+$/, '');
  async function getArmUrl(url: string, abortSignal?: AbortSignal): Promise<ArmResourceResponse> {
    // The pipeline adds the bearer token: it must go to ARM only, whatever link an answer holds.
    if (new URL(url).origin !== new URL(armEndpoint).origin) {
      throw new KvAuditError('UnsafeRequest', `GET ${url}: not on the ARM endpoint ${armEndpoint}; not sent`);
    }
    const request = createPipelineRequest({ url, method: 'GET', timeout: requestTimeoutMs, ...(abortSignal ? { abortSignal } : {}) });
    const response = await monitor.pipeline.sendRequest(httpClient, request);
    let body: unknown;
    try {
      body = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, headers: response.headers };
  }
  return {
    resourceGraph,
    monitor,
    counters,
    armReadPacer,
    getArmResource: (resourceId, apiVersion, abortSignal, query = {}) =>
      // Spaces as %20, as the SDKs send them ($filter values have spaces).
      getArmUrl(`${armEndpoint}${resourceId}?${new URLSearchParams({ 'api-version': apiVersion, ...query }).toString().replace(/\+/g, '%20')}`, abortSignal),
    getArmUrl,
    logsIngestion: (ingestionEndpoint) => new LogsIngestionClient(ingestionEndpoint, connection.credential, { ...common, ...retry }),
    logsQuery: new LogsQueryClient(connection.credential, { ...common, ...retry, ...(connection.logsQueryEndpoint ? { endpoint: connection.logsQueryEndpoint } : {}) }),
  };
}

/**
 * The client `kv-audit fix` writes diagnostic settings with, as the caller: the SDK's default pipeline, whose retry
 * policy waits out 429s itself (writes are few, and no read queue paces them). Never made by the scan or the timer.
 */
export function createMonitorWriteClient(connection: AzureConnection): MonitorClient {
  const { common, retry } = sdkOptions(connection, 'kv-audit-monitor-fix');
  return new MonitorClient(connection.credential, { ...common, ...retry, ...(connection.armEndpoint ? { endpoint: connection.armEndpoint } : {}) });
}
