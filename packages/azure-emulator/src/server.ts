import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { type ActivityLogTarget, activityLogTarget } from './activityLog.js';
import { normalizeResourceId } from './armIds.js';
import { type ResourceTarget, getResource, resourceTarget } from './armResources.js';
import { createServerCertificate } from './certificate.js';
import { type DiagnosticSettingsTarget, type SettingsPaging, diagnosticSettingsTarget, listDiagnosticSettings } from './diagnosticSettings.js';
import { settingWriteTarget, writeDiagnosticSetting } from './diagnosticSettingWrites.js';
import { describeError } from './errors.js';
import { type Estate, type EstateChange, parseEstate } from './estate.js';
import { EstateHistory } from './estateHistory.js';
import { type EstateIndex, defaultTenantId, indexEstate } from './estateIndex.js';
import { type EventDeliveryStats, EventDelivery, type EventsOptions, noEventDeliveries } from './eventGrid.js';
import { FaultInjector } from './faultInjector.js';
import type { Fault, FaultService } from './faults.js';
import {
  type EmulatorRequest,
  type EmulatorResponse,
  bearerToken,
  errorResponse,
  parseRequestTarget,
  unwrappedErrorResponse,
  withServiceHeaders,
} from './http.js';
import { logQueryTarget, runLogQuery } from './logAnalyticsQuery.js';
import { type UploadTarget, declareStreams, ingest, uploadTarget } from './logsIngestion.js';
import { type ResourceGraphView, ResultCache, defaultResourceGraphLimits, queryResourceGraph, rateLimited } from './resourceGraph.js';
import { resourceGraphTables } from './resourceGraphTables.js';
import {
  type ArgQuotaLimit,
  ArgUserQuota,
  ArmReadBuckets,
  type ArmReadLimits,
  ProviderThrottle,
  type TokenBucketLimit,
  defaultArmReadLimits,
  formatResetsAfter,
} from './throttling.js';

/** The services that answer requests (Event Grid's `events` delivers instead). */
type RequestService = Exclude<FaultService, 'events'>;

export interface EmulatorOptions {
  readonly estate: Estate;
  /**
   * The DCR's stream declarations (StreamDeclaration: the deployment's column files, read as JSON): what Logs
   * Ingestion accepts, column by column. Validated at start, every problem at once.
   */
  readonly streams: readonly unknown[];
  /** ARG per-user quota (per bearer token): requests per window. Default 15 per 5 s (the documented example). */
  readonly argQuota?: ArgQuotaLimit;
  /** Each principal's ARM read bucket per subscription. Default 250 tokens refilled at 25/s (documented). */
  readonly armReads?: TokenBucketLimit;
  /** Injected faults, and the seed that makes them reproducible (default 1). */
  readonly faults?: readonly Fault[];
  readonly seed?: number;
  /**
   * Seconds in Retry-After of ingestion and injected 429s (and ARG's resets-after of injected ones), default 1;
   * when set, also of ARM's own throttle, whose Retry-After is otherwise the time its bucket needs to refill.
   */
  readonly retryAfterSeconds?: number;
  /** Retry-After, in seconds, of the provider throttle an `arm:rpthrottle` fault trips. Default 30. */
  readonly providerRetryAfterSeconds?: number;
  /** ARG refuses responses larger than this (ResponsePayloadTooLarge). Default 16 MiB. */
  readonly argMaxResponseBytes?: number;
  /**
   * The emulator's clock, in milliseconds since the epoch: the timeline, Activity Log times and event deliveries
   * follow it. Injected, nothing happens in the background (call `settle()` after moving it); by default the real
   * clock, checked a few times a second.
   */
  readonly clock?: () => number;
  /** Event Grid: every ARM operation the estate goes through is delivered to this Storage queue (Azurite). */
  readonly events?: EventsOptions;
  /** The estate's timeline waits for `playTimeline()` (e.g. until a first scan is done) instead of starting now. */
  readonly holdTimeline?: boolean;
}

/** The counters; Event Grid's (EventDeliveryStats) are all 0 without the `events` option. */
export interface EmulatorStats extends EventDeliveryStats {
  readonly argRequests: number;
  /** ARG requests that executed their query: pages of an estate that had not changed since are served from a cache. */
  readonly argQueriesExecuted: number;
  /** ARG pages answered with 200: what `changesDuringScan` counts. */
  readonly argPagesServed: number;
  /** Estate changes applied so far. */
  readonly changesApplied: number;
  readonly armRequests: number;
  /** The most ARM requests the emulator was serving at one time: what a client's concurrency cap really allowed. */
  readonly armPeakConcurrency: number;
  readonly ingestRequests: number;
  /** 429 answers per service, from its throttle or injected. */
  readonly argThrottled: number;
  readonly armThrottled: number;
  readonly ingestThrottled: number;
  /** Rows answered 204 and not kept (`ingest:drop`). */
  readonly ingestRowsDropped: number;
  readonly faultsInjected: number;
  /** Log Analytics query API requests. */
  readonly logQueries: number;
  /** Diagnostic-setting PUTs, answered or refused. */
  readonly settingWrites: number;
}

export interface IngestedBatch {
  readonly stream: string;
  readonly rows: number;
  /** When the batch was accepted, on the emulator's clock (ms): where a change's latency to its finding ends. */
  readonly acceptedAtMs: number;
}

export interface Emulator {
  /** https://127.0.0.1:<port>: ARM, ARG and Logs Ingestion on one origin. */
  readonly url: string;
  /** The self-signed certificate clients must trust (`tlsOptions: { ca }`). */
  readonly certificatePem: string;
  /** The only DCR the ingestion endpoint accepts. */
  readonly dcrImmutableId: string;
  /** Rows accepted and kept for a stream, in arrival order. */
  rows(streamName: string): readonly Record<string, unknown>[];
  /** Accepted and kept batches in arrival order. */
  readonly ingestionLog: readonly IngestedBatch[];
  /** A snapshot of the counters. */
  readonly stats: EmulatorStats;
  /** Replaces the injected faults, e.g. to end an outage between two scans. */
  setFaults(faults: readonly Fault[]): void;
  /**
   * Applies what the clock has made due (timeline entries, delayed event deliveries) and resolves once every event
   * due is in the queue (or dropped): what a test calls after moving an injected clock.
   */
  settle(): Promise<void>;
  /**
   * How much of the estate's history is still to come: timeline entries not yet applied and Event Grid deliveries
   * not yet sent. 0 once the timeline has played out and every event it caused is in the queue (or was dropped).
   */
  readonly changesToCome: number;
  /** Starts a timeline held by `holdTimeline`: its entries are due `afterSeconds` from now. */
  playTimeline(): void;
  close(): Promise<void>;
}

type Route =
  | { readonly service: 'arg' }
  | { readonly service: 'arm'; readonly kind: 'settings'; readonly target: DiagnosticSettingsTarget }
  | { readonly service: 'arm'; readonly kind: 'resource'; readonly target: ResourceTarget }
  | { readonly service: 'arm'; readonly kind: 'activityLog'; readonly target: ActivityLogTarget }
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
  if (method === 'GET') {
    const settings = diagnosticSettingsTarget(path);
    if (settings) return { service: 'arm', kind: 'settings', target: settings };
    const activityLog = activityLogTarget(path);
    if (activityLog) return { service: 'arm', kind: 'activityLog', target: activityLog };
    const resource = resourceTarget(path);
    if (resource) return { service: 'arm', kind: 'resource', target: resource };
  }
  const ingestTarget = method === 'POST' ? uploadTarget(path) : null;
  if (ingestTarget) return { service: 'ingest', target: ingestTarget };
  return null;
}

const faultCodes: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Logs Ingestion's 429: TooManyRequests with Retry-After in seconds. */
function tooManyRequests(retryAfterSeconds: number, message: string): EmulatorResponse {
  return errorResponse(429, 'TooManyRequests', message, { headers: { 'retry-after': String(retryAfterSeconds) } });
}

/** ARM's own throttle, per subscription and principal or globally (Learn: "Request limits and throttling"). */
function subscriptionThrottled(subscriptionId: string, retryAfterSeconds: number): EmulatorResponse {
  return errorResponse(
    429,
    'SubscriptionRequestsThrottled',
    `Number of 'read' requests for subscription '${subscriptionId}' exceeded. Please try again after '${retryAfterSeconds}' seconds after the last request.`,
    { headers: { 'retry-after': String(retryAfterSeconds) } },
  );
}

/** A resource provider's own throttle: Microsoft.Insights' answer, unwrapped, with a Retry-After of its own. */
function providerThrottled(subscriptionId: string, retryAfterSeconds: number): EmulatorResponse {
  return unwrappedErrorResponse(
    429,
    'ResourceRequestsThrottled',
    `Number of requests for subscription '${subscriptionId}' and operation ` +
      `'GET/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS' ` +
      `exceeded the backend storage limit. Please try again after '${retryAfterSeconds}' seconds.`,
    { headers: { 'retry-after': String(retryAfterSeconds) } },
  );
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

/** A hostile ARG page: one that drops its $skipToken, or lists its first row twice. */
function corruptedPage(response: EmulatorResponse, outcome: Extract<Fault, { kind: 'failure' }>['outcome']): EmulatorResponse {
  const body = response.body as { data: unknown[]; count: number; $skipToken?: string };
  if (outcome === 'notoken') {
    const { $skipToken: _dropped, ...rest } = body;
    return { ...response, body: rest };
  }
  if (outcome === 'duprow' && body.data.length > 0) return { ...response, body: { ...body, data: [body.data[0], ...body.data], count: body.count + 1 } };
  return response;
}

/** A connection dropped mid-response: status line, headers and part of a body, then the socket is destroyed. */
function sendReset(res: ServerResponse): void {
  const partial = Buffer.from('{"value":[{"id":"/subscriptions/');
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(partial.length * 4) });
  res.write(partial, () => res.socket?.destroy());
}

/** The estate as it is now, and the changes still to come. */
class EstateState {
  estate: Estate;
  index: EstateIndex;
  view: ResourceGraphView;
  pagesServed = 0;
  changesApplied = 0;
  private readonly pending: NonNullable<Estate['changesDuringScan']>;

  constructor(
    estate: Estate,
    private readonly history: EstateHistory,
  ) {
    this.estate = estate;
    this.index = indexEstate(estate);
    this.view = { index: this.index, tables: resourceGraphTables(this.index, estate.resourceGraphIndexesDiagnosticSettings), version: 0 };
    this.pending = [...(estate.changesDuringScan ?? [])];
  }

  /** One more ARG page answered: the changes due after it are applied before the next request. */
  pageServed(): void {
    this.pagesServed += 1;
    const due: EstateChange[] = [];
    while (this.pending[0] && this.pending[0].afterArgPage <= this.pagesServed) due.push(this.pending.shift()!);
    this.apply(due);
  }

  /**
   * Applies changes now: their operations reach the Activity Log and Event Grid, and the views are rebuilt. Every
   * change to the estate goes through here, a write route's too (`state.apply([{ diagnosticSettings: [setting] }])`).
   */
  apply(changes: readonly EstateChange[]): void {
    if (changes.length === 0) return;
    for (const change of changes) {
      this.estate = this.history.apply(this.estate, change);
      this.changesApplied += 1;
    }
    this.index = indexEstate(this.estate);
    this.view = {
      index: this.index,
      tables: resourceGraphTables(this.index, this.estate.resourceGraphIndexesDiagnosticSettings),
      version: this.view.version + 1,
    };
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const estate = parseEstate(options.estate);
  const streams = declareStreams(options.streams);
  /** Each stream's output table: the declaration's tableName (the deployment's column files carry it). */
  const tableOfStream = new Map(
    options.streams.map((d) => {
      const { streamName, tableName } = d as { streamName?: unknown; tableName?: unknown };
      return [String(streamName), typeof tableName === 'string' ? tableName : `${String(streamName).replace(/^Custom-/, '')}_CL`] as const;
    }),
  );
  const clock = options.clock ?? Date.now;
  let injector = new FaultInjector(options.faults ?? [], options.seed ?? 1);
  const events = options.events ? await EventDelivery.connect(options.events, () => injector) : null;
  const history = new EstateHistory(estate, { clock, seed: options.seed ?? 1, tenantId: estate.tenantId ?? defaultTenantId, events, holdTimeline: options.holdTimeline ?? false });
  const state = new EstateState(estate, history);
  /** The timeline entries due, applied; then the event deliveries due, sent. */
  const tick = () => {
    state.apply(history.due());
    history.deliver();
  };
  const cache = new ResultCache();
  const argLimits = {
    subscriptionLimit: estate.resourceGraphSubscriptionLimit ?? defaultResourceGraphLimits.subscriptionLimit,
    maxResponseBytes: options.argMaxResponseBytes ?? defaultResourceGraphLimits.maxResponseBytes,
  };
  const argQuota = new ArgUserQuota(options.argQuota ?? { requests: 15, windowMs: 5000 });
  const armLimits: ArmReadLimits = {
    principal: options.armReads ?? estate.armThrottling?.principalReads ?? defaultArmReadLimits.principal,
    global: estate.armThrottling?.globalReads ?? defaultArmReadLimits.global,
    othersDrainPerSecond: estate.armThrottling?.othersDrainPerSecond ?? defaultArmReadLimits.othersDrainPerSecond,
  };
  const armReads = new ArmReadBuckets(armLimits);
  const providerThrottle = new ProviderThrottle(estate.providerThrottling ?? []);
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const providerRetryAfterSeconds = options.providerRetryAfterSeconds ?? 30;
  const dcrImmutableId = `dcr-${randomBytes(16).toString('hex')}`;
  /** https://127.0.0.1:<port>, once listening: nextLinks are absolute. */
  let origin = '';

  const requests: Record<RequestService, number> = { arg: 0, arm: 0, ingest: 0 };
  const throttled: Record<RequestService, number> = { arg: 0, arm: 0, ingest: 0 };
  let faultsInjected = 0;
  let ingestRowsDropped = 0;
  let logQueries = 0;
  let settingWrites = 0;
  let armInFlight = 0;
  let armPeakConcurrency = 0;
  const stored = new Map<string, Record<string, unknown>[]>();
  const ingestionLog: IngestedBatch[] = [];

  /** The region of the resource an ARM request reads, for provider throttling; null when it is not in the estate. */
  function locationOf(target: Route): string | null {
    if (target.service !== 'arm' || target.kind !== 'settings') return null;
    return state.index.resourcesById.get(normalizeResourceId(target.target.resourceId))?.resource.location ?? null;
  }

  /** The service's own throttles: the headers every response carries, and a 429 when one is exhausted. */
  function throttle(target: Route, token: string, now: number): { headers: Record<string, string>; rejection: EmulatorResponse | null } {
    if (target.service === 'arg') {
      const quota = argQuota.take(token, now);
      const headers = {
        'x-ms-user-quota-remaining': String(quota.remaining),
        'x-ms-user-quota-resets-after': formatResetsAfter(quota.resetsAfterMs),
      };
      return { headers, rejection: quota.allowed ? null : rateLimited(headers) };
    }
    if (target.service === 'arm') {
      const { subscriptionId } = target.target;
      const bucket = armReads.take(subscriptionId, token, now);
      const headers = {
        'x-ms-ratelimit-remaining-subscription-reads': String(bucket.remaining),
        'x-ms-ratelimit-remaining-subscription-global-reads': String(bucket.globalRemaining),
      };
      if (!bucket.allowed) return { headers, rejection: subscriptionThrottled(subscriptionId, options.retryAfterSeconds ?? bucket.retryAfterSeconds) };
      const location = locationOf(target);
      const blockedFor = location === null ? 0 : providerThrottle.check(subscriptionId, location, now);
      return { headers, rejection: blockedFor > 0 ? providerThrottled(subscriptionId, blockedFor) : null };
    }
    return { headers: {}, rejection: null };
  }

  function injectedFailure(target: Route, request: EmulatorRequest, fault: Extract<Fault, { kind: 'failure' }>, now: number): EmulatorResponse {
    const { outcome } = fault;
    if (outcome === 'rpthrottle' && target.service === 'arm') {
      const location = locationOf(target) ?? 'global';
      providerThrottle.trip(target.target.subscriptionId, location, now, providerRetryAfterSeconds);
      return providerThrottled(target.target.subscriptionId, providerRetryAfterSeconds);
    }
    if (outcome === '429ra' || outcome === '503ra') {
      const status = outcome === '429ra' ? 429 : 503;
      const headers: Record<string, string> = { 'retry-after': '1' };
      if (target.service === 'arg' && status === 429) Object.assign(headers, { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:01' });
      return errorResponse(status, faultCodes[status]!, `Injected fault: ${target.service} answered ${status} with Retry-After: 1.`, { headers });
    }
    if (outcome === 429) {
      if (target.service === 'arg') {
        return rateLimited({ 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': formatResetsAfter(retryAfterSeconds * 1000) });
      }
      if (target.service === 'arm') return subscriptionThrottled(target.target.subscriptionId, retryAfterSeconds);
      return tooManyRequests(retryAfterSeconds, `Injected fault: ${target.service} throttled ${request.method} ${request.path}.`);
    }
    const status = typeof outcome === 'number' ? outcome : 500;
    return errorResponse(status, faultCodes[status] ?? 'InternalServerError', `Injected fault: ${target.service} answered ${status}.`);
  }

  /** The DCR's output tables, as a query sees them: each exists from the start (the deployment creates it), empty or not. */
  function ingestedTables(): Record<string, readonly Record<string, unknown>[]> {
    return Object.fromEntries([...tableOfStream].map(([stream, table]) => [table, stored.get(stream) ?? []]));
  }

  function store(stream: string, rows: readonly Record<string, unknown>[]): void {
    const kept = stored.get(stream) ?? [];
    kept.push(...rows);
    stored.set(stream, kept);
    ingestionLog.push({ stream, rows: rows.length, acceptedAtMs: clock() });
  }

  function settingsPaging(request: EmulatorRequest): SettingsPaging | null {
    const size = state.estate.diagnosticSettingsPageSize;
    if (size === undefined) return null;
    return {
      size,
      linkTo: (offset) => `${origin}${request.path}?api-version=${encodeURIComponent(request.query.get('api-version') ?? '')}&$skiptoken=${offset}`,
    };
  }

  function handle(target: Route, request: EmulatorRequest, fault: Extract<Fault, { kind: 'failure' }> | null): EmulatorResponse {
    switch (target.service) {
      case 'arg': {
        const response = queryResourceGraph(request.body, state.view, cache, argLimits);
        if (response.status === 200) state.pageServed();
        return fault && response.status === 200 ? corruptedPage(response, fault.outcome) : response;
      }
      case 'arm':
        if (target.kind === 'activityLog') {
          const linkTo = (skipToken: string) =>
            `${origin}${request.path}?${new URLSearchParams([...[...request.query].filter(([name]) => name !== '$skiptoken'), ['$skiptoken', skipToken]])}`;
          return history.activityLog.list(target.target, request.query, state.index.visibleSubscriptions, clock(), linkTo);
        }
        return target.kind === 'settings'
          ? listDiagnosticSettings(target.target, request.query, state.index, settingsPaging(request))
          : getResource(target.target, request.query.get('api-version'), state.index);
      case 'ingest': {
        const outcome = ingest(target.target, { apiVersion: request.query.get('api-version'), headers: request.headers, body: request.body }, dcrImmutableId, streams);
        if (outcome.accepted) {
          // The real service answers 204 and may still drop rows it cannot map: `drop` keeps nothing of the batch.
          if (fault?.outcome === 'drop') ingestRowsDropped += outcome.accepted.rows.length;
          else store(outcome.accepted.stream, outcome.accepted.rows);
        }
        return outcome.response;
      }
    }
  }

  /** The Log Analytics query API and diagnostic-setting writes (estateProof.ts); null for any other request. */
  function proofRequest(request: EmulatorRequest): EmulatorResponse | null {
    const query = logQueryTarget(request.method, request.path);
    if (query) {
      logQueries += 1;
      return runLogQuery(query, request.body, state.estate, new Date(clock()), ingestedTables());
    }
    const write = settingWriteTarget(request.method, request.path);
    if (!write) return null;
    settingWrites += 1;
    const outcome = writeDiagnosticSetting(write, request.query.get('api-version'), request.body, state.index, state.estate.writeDenied ?? [], new Date(clock()));
    // Through apply, as every change: the write reaches the Activity Log and Event Grid as Azure's would.
    if (outcome.stored) state.apply([{ diagnosticSettings: [outcome.stored] }]);
    return outcome.response;
  }

  /** What identifies a request across retries, for reproducible fault decisions. */
  function requestKey(target: Route, request: EmulatorRequest): string {
    if (target.service === 'arm') {
      if (target.kind === 'activityLog') return `activity log ${target.target.subscriptionId} ${request.query.get('$filter') ?? ''} ${request.query.get('$skiptoken') ?? ''}`;
      return `${target.kind === 'settings' ? '' : 'resource '}${normalizeResourceId(target.target.resourceId)}`;
    }
    if (target.service === 'arg') return request.body.toString('utf8');
    // What an upload writes, not its path (which holds the DCR id, random per emulator) or its bytes (which hold
    // the scan's id and times): the same chunk gets the same decisions in every run of a seed.
    return `${target.target.stream} ${uploadedResourceIds(request.body)}`;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = parseRequestTarget(req.url ?? '/');
    const request: EmulatorRequest = { method: req.method ?? 'GET', path, query, headers: req.headers, body: await readBody(req) };
    // Every answer reflects the estate as the clock has it.
    tick();
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
    const proof = target ? null : proofRequest(request);
    if (proof) {
      send(res, proof);
      return;
    }
    if (!target) {
      const message =
        'The emulator serves only Resource Graph queries, ARM reads of resources and diagnostic settings, diagnostic-setting writes, ' +
        `Log Analytics queries and Logs Ingestion uploads; no route for ${request.method} ${path}.`;
      send(res, errorResponse(404, 'NotFound', message));
      return;
    }
    let clientGone = false;
    res.once('close', () => (clientGone = !res.writableFinished));
    const latency = injector.latencyMs(target.service);
    if (latency > 0) await delay(latency);
    // A client that hung up (its own timeout) gets nothing done: the emulator never ingests what nobody waits for.
    if (clientGone) return;
    const now = Date.now();
    const { headers, rejection } = throttle(target, token, now);
    if (rejection) {
      throttled[target.service] += 1;
      send(res, withServiceHeaders(rejection, headers));
      return;
    }
    const fault = injector.failureFor(target.service, requestKey(target, request), target.service === 'arm' ? target.target.subscriptionId : null);
    const transforms = fault !== null && (fault.outcome === 'drop' || fault.outcome === 'notoken' || fault.outcome === 'duprow');
    if (fault && !transforms) {
      faultsInjected += 1;
      if (fault.outcome === 'reset') {
        sendReset(res);
        return;
      }
      const failure = injectedFailure(target, request, fault, now);
      if (failure.status === 429) throttled[target.service] += 1;
      send(res, withServiceHeaders(failure, headers));
      return;
    }
    if (fault) faultsInjected += 1;
    send(res, withServiceHeaders(handle(target, request, fault), headers));
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
  origin = `https://127.0.0.1:${port}`;
  // On the real clock the timeline and delayed deliveries happen by themselves, requests or not.
  const ticker = options.clock ? null : setInterval(tick, 200).unref();

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
    settle: async () => {
      tick();
      await events?.idle();
    },
    playTimeline: () => history.play(),
    get changesToCome() {
      return history.toCome;
    },
    get stats() {
      return {
        ...(events?.stats ?? noEventDeliveries),
        argRequests: requests.arg,
        argQueriesExecuted: cache.executions,
        argPagesServed: state.pagesServed,
        changesApplied: state.changesApplied,
        armRequests: requests.arm,
        armPeakConcurrency,
        ingestRequests: requests.ingest,
        argThrottled: throttled.arg,
        armThrottled: throttled.arm,
        ingestThrottled: throttled.ingest,
        ingestRowsDropped,
        faultsInjected,
        logQueries,
        settingWrites,
      };
    },
    close: async () => {
      if (ticker) clearInterval(ticker);
      await events?.idle();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
