import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { normalizeResourceId } from './armIds.js';
import { describeError } from './errors.js';
import { createServerCertificate } from './certificate.js';
import { type DiagnosticSettingsTarget, diagnosticSettingsTarget, listDiagnosticSettings } from './diagnosticSettings.js';
import { type Estate, parseEstate } from './estate.js';
import { indexEstate } from './estateIndex.js';
import { FaultInjector } from './faultInjector.js';
import type { Fault, FaultService } from './faults.js';
import { type EmulatorRequest, type EmulatorResponse, bearerToken, errorResponse, parseRequestTarget, withServiceHeaders } from './http.js';
import { type UploadTarget, declareStreams, ingest, uploadTarget } from './logsIngestion.js';
import { ResultSnapshots, queryResourceGraph, rateLimited } from './resourceGraph.js';
import { resourceGraphTables } from './resourceGraphTables.js';
import { type ArgQuotaLimit, ArgUserQuota, ArmReadBuckets, type TokenBucketLimit, formatResetsAfter } from './throttling.js';

export interface EmulatorOptions {
  readonly estate: Estate;
  /**
   * The DCR's stream declarations (StreamDeclaration: the deployment's column files, read as JSON): what Logs
   * Ingestion accepts, column by column. Validated at start, every problem at once.
   */
  readonly streams: readonly unknown[];
  /** ARG per-user quota (per bearer token): requests per window. Default 15 per 5 s (the documented example). */
  readonly argQuota?: ArgQuotaLimit;
  /** ARM read token bucket per subscription. Default 250 tokens refilled at 25/s (documented). */
  readonly armReads?: TokenBucketLimit;
  /** Injected faults, and the seed that makes them reproducible (default 1). */
  readonly faults?: readonly Fault[];
  readonly seed?: number;
  /** Seconds in Retry-After of throttled ARM and ingestion 429s (and ARG's resets-after of injected 429s). Default 1. */
  readonly retryAfterSeconds?: number;
}

export interface EmulatorStats {
  readonly argRequests: number;
  /** ARG requests that executed their query: first pages, and later pages whose snapshot was evicted. */
  readonly argQueriesExecuted: number;
  readonly armRequests: number;
  /** The most ARM requests the emulator was serving at one time: what a client's concurrency cap really allowed. */
  readonly armPeakConcurrency: number;
  readonly ingestRequests: number;
  /** 429 answers per service, from its throttle or injected. */
  readonly argThrottled: number;
  readonly armThrottled: number;
  readonly ingestThrottled: number;
  readonly faultsInjected: number;
}

export interface IngestedBatch {
  readonly stream: string;
  readonly rows: number;
}

export interface Emulator {
  /** https://127.0.0.1:<port>: ARM, ARG and Logs Ingestion on one origin. */
  readonly url: string;
  /** The self-signed certificate clients must trust (`tlsOptions: { ca }`). */
  readonly certificatePem: string;
  /** The only DCR the ingestion endpoint accepts. */
  readonly dcrImmutableId: string;
  /** Rows accepted for a stream, in arrival order. */
  rows(streamName: string): readonly Record<string, unknown>[];
  /** Accepted batches in arrival order. */
  readonly ingestionLog: readonly IngestedBatch[];
  /** A snapshot of the counters. */
  readonly stats: EmulatorStats;
  /** Replaces the injected faults, e.g. to end an outage between two scans. */
  setFaults(faults: readonly Fault[]): void;
  close(): Promise<void>;
}

type Route =
  | { readonly service: 'arg' }
  | { readonly service: 'arm'; readonly target: DiagnosticSettingsTarget }
  | { readonly service: 'ingest'; readonly target: UploadTarget };

/** The ResourceIds a gzipped JSON upload writes, sorted; empty for rows without one (scan rows) or a bad body. */
function uploadedResourceIds(body: Buffer): string {
  try {
    const rows: unknown = JSON.parse(gunzipSync(body).toString('utf8'));
    if (!Array.isArray(rows)) return '';
    return rows.map((row) => (typeof row === 'object' && row !== null && 'ResourceId' in row ? String(row.ResourceId) : '')).sort().join(',');
  } catch {
    return '';
  }
}

const resourceGraphPath = /^\/+providers\/microsoft\.resourcegraph\/resources\/?$/i;

function route(method: string, path: string): Route | null {
  if (method === 'POST' && resourceGraphPath.test(path)) return { service: 'arg' };
  const armTarget = method === 'GET' ? diagnosticSettingsTarget(path) : null;
  if (armTarget) return { service: 'arm', target: armTarget };
  const ingestTarget = method === 'POST' ? uploadTarget(path) : null;
  if (ingestTarget) return { service: 'ingest', target: ingestTarget };
  return null;
}

const faultCodes: Record<number, string> = {
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** ARM's and Logs Ingestion's 429: TooManyRequests with Retry-After in seconds. */
function tooManyRequests(retryAfterSeconds: number, message: string): EmulatorResponse {
  return errorResponse(429, 'TooManyRequests', message, { headers: { 'retry-after': String(retryAfterSeconds) } });
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  const body = response.body === undefined ? undefined : Buffer.from(JSON.stringify(response.body));
  res.writeHead(response.status, {
    ...response.headers,
    ...(body ? { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) } : {}),
  });
  res.end(body);
}

/** A connection dropped mid-response: status line, headers and part of a body, then the socket is destroyed. */
function sendReset(res: ServerResponse): void {
  const partial = Buffer.from('{"value":[{"id":"/subscriptions/');
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(partial.length * 4) });
  res.write(partial, () => res.socket?.destroy());
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const estate = parseEstate(options.estate);
  const index = indexEstate(estate);
  const tables = resourceGraphTables(index, estate.resourceGraphIndexesDiagnosticSettings);
  const snapshots = new ResultSnapshots();
  const streams = declareStreams(options.streams);
  const argQuota = new ArgUserQuota(options.argQuota ?? { requests: 15, windowMs: 5000 });
  const armReads = new ArmReadBuckets(options.armReads ?? { bucketSize: 250, refillPerSecond: 25 });
  let injector = new FaultInjector(options.faults ?? [], options.seed ?? 1);
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const dcrImmutableId = `dcr-${randomBytes(16).toString('hex')}`;

  const requests: Record<FaultService, number> = { arg: 0, arm: 0, ingest: 0 };
  const throttled: Record<FaultService, number> = { arg: 0, arm: 0, ingest: 0 };
  let faultsInjected = 0;
  let armInFlight = 0;
  let armPeakConcurrency = 0;
  const stored = new Map<string, Record<string, unknown>[]>();
  const ingestionLog: IngestedBatch[] = [];

  /** The service's own throttle: the headers every response carries, and a 429 when it is exhausted. */
  function throttle(target: Route, token: string): { headers: Record<string, string>; rejection: EmulatorResponse | null } {
    if (target.service === 'arg') {
      const quota = argQuota.take(token, Date.now());
      const headers = {
        'x-ms-user-quota-remaining': String(quota.remaining),
        'x-ms-user-quota-resets-after': formatResetsAfter(quota.resetsAfterMs),
      };
      return { headers, rejection: quota.allowed ? null : rateLimited(headers) };
    }
    if (target.service === 'arm') {
      const bucket = armReads.take(target.target.subscriptionId, Date.now());
      const headers = { 'x-ms-ratelimit-remaining-subscription-reads': String(bucket.remaining) };
      const rejection = bucket.allowed
        ? null
        : tooManyRequests(retryAfterSeconds, "The request is being throttled as the limit has been reached for operation type - 'Read'.");
      return { headers, rejection };
    }
    return { headers: {}, rejection: null };
  }

  function injectedFailure(target: Route, request: EmulatorRequest, status: number): EmulatorResponse {
    if (status !== 429) {
      return errorResponse(status, faultCodes[status] ?? 'InternalServerError', `Injected fault: ${target.service} answered ${status}.`);
    }
    if (target.service === 'arg') {
      return rateLimited({ 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': formatResetsAfter(retryAfterSeconds * 1000) });
    }
    return tooManyRequests(retryAfterSeconds, `Injected fault: ${target.service} throttled ${request.method} ${request.path}.`);
  }

  function handle(target: Route, request: EmulatorRequest): EmulatorResponse {
    switch (target.service) {
      case 'arg':
        return queryResourceGraph(request.body, index, tables, snapshots);
      case 'arm':
        return listDiagnosticSettings(target.target, request.query.get('api-version'), index);
      case 'ingest': {
        const outcome = ingest(target.target, { apiVersion: request.query.get('api-version'), headers: request.headers, body: request.body }, dcrImmutableId, streams);
        if (outcome.accepted) {
          const rows = stored.get(outcome.accepted.stream) ?? [];
          rows.push(...outcome.accepted.rows);
          stored.set(outcome.accepted.stream, rows);
          ingestionLog.push({ stream: outcome.accepted.stream, rows: outcome.accepted.rows.length });
        }
        return outcome.response;
      }
    }
  }

  /** What identifies a request across retries, for reproducible fault decisions. */
  function requestKey(target: Route, request: EmulatorRequest): string {
    if (target.service === 'arm') return normalizeResourceId(target.target.resourceId);
    if (target.service === 'arg') return request.body.toString('utf8');
    // What an upload writes, not its path (which holds the DCR id, random per emulator) or its bytes (which hold
    // the scan's id and times): the same chunk gets the same decisions in every run of a seed.
    return `${target.target.stream} ${uploadedResourceIds(request.body)}`;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = parseRequestTarget(req.url ?? '/');
    const request: EmulatorRequest = { method: req.method ?? 'GET', path, query, headers: req.headers, body: await readBody(req) };
    const target = route(request.method, path);
    if (target) requests[target.service] += 1;
    if (target?.service === 'arm') {
      armInFlight += 1;
      armPeakConcurrency = Math.max(armPeakConcurrency, armInFlight);
      res.once('close', () => (armInFlight -= 1));
    }
    const token = bearerToken(req.headers);
    if (token === null) {
      send(res, errorResponse(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a Bearer token."));
      return;
    }
    if (!target) {
      const message = `The emulator serves only Resource Graph queries, diagnostic settings lists and Logs Ingestion uploads; no route for ${request.method} ${path}.`;
      send(res, errorResponse(404, 'NotFound', message));
      return;
    }
    const latency = injector.latencyMs(target.service);
    if (latency > 0) await delay(latency);
    const { headers, rejection } = throttle(target, token);
    if (rejection) {
      throttled[target.service] += 1;
      send(res, withServiceHeaders(rejection, headers));
      return;
    }
    const fault = injector.failureFor(target.service, requestKey(target, request), target.service === 'arm' ? target.target.subscriptionId : null);
    if (fault) {
      faultsInjected += 1;
      if (fault.outcome === 'reset') {
        sendReset(res);
        return;
      }
      if (fault.outcome === 429) throttled[target.service] += 1;
      send(res, withServiceHeaders(injectedFailure(target, request, fault.outcome), headers));
      return;
    }
    send(res, withServiceHeaders(handle(target, request), headers));
  }

  const certificate = await createServerCertificate();
  const server = createServer({ key: certificate.privateKeyPem, cert: certificate.certificatePem }, (req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, errorResponse(500, 'InternalServerError', `Emulator failure: ${describeError(error)}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    certificatePem: certificate.certificatePem,
    dcrImmutableId,
    rows: (streamName) => [...(stored.get(streamName) ?? [])],
    get ingestionLog() {
      return [...ingestionLog];
    },
    setFaults: (faults) => {
      injector = new FaultInjector(faults, options.seed ?? 1);
    },
    get stats() {
      return {
        argRequests: requests.arg,
        argQueriesExecuted: snapshots.executions,
        armRequests: requests.arm,
        armPeakConcurrency,
        ingestRequests: requests.ingest,
        argThrottled: throttled.arg,
        armThrottled: throttled.arm,
        ingestThrottled: throttled.ingest,
        faultsInjected,
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
