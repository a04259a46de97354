import { type HttpClient, type PipelineRequest, type PipelineResponse, RestError, createHttpHeaders } from '@azure/core-rest-pipeline';
import { hashSeed, seededRandom } from '@kv-audit/azure-emulator';
import {
  ActivityLog,
  ArgUserQuota,
  type ArmOperation,
  ArmReadBuckets,
  activityLogTarget,
  type EmulatorResponse,
  declareStreams,
  diagnosticSettingsTarget,
  errorResponse,
  formatResetsAfter,
  getResource,
  indexEstate,
  ingest,
  listDiagnosticSettings,
  rateLimited,
  resourceTarget,
  unwrappedErrorResponse,
  uploadTarget,
} from '@kv-audit/azure-emulator/handlers';
import { xxhash64 } from '@kv-audit/kql';
import { landedRowsQuery } from '../../../src/azure/findingsWorkspace.js';
import { inventoryCountQuery, inventoryQuery, inventorySizingQuery, resourceTypes } from '../../../src/azure/inventory.js';
import { normalizeResourceId } from '../../../src/control/resourceId.js';
import { scansTable } from '../../../src/findings/schema.js';
import { deployedStreams } from '../../support/emulator.js';
import type { EstateShape, GeneratedVault } from '../../support/generatedEstate.js';
import { type ServiceModel, latencyMs, providerLimitOf } from './model.js';
import type { FindingMismatch, Verification } from './protocol.js';

/*
 * A simulated Azure behind the SDK clients' HttpClient: no sockets, answers delivered after a latency on the
 * process's timers (virtual time in the benchmark), the service model enforced on every request. The scanner
 * learns about it only from the answers, as from Azure.
 *
 * ARM and Logs Ingestion answers come from the emulator's own handlers (packages/azure-emulator, ./handlers),
 * over an estate made vault by vault (estateShape): the same bodies, error shapes and throttle headers the HTTPS
 * emulator sends. Resource Graph is purpose-built: the emulator runs every query through its KQL interpreter over
 * the whole table, far too slow for a million rows a partition. This serves the same wire contract for the few
 * query texts the scanner and the baselines send (each matched exactly), and refuses any other with a 400. So is the
 * Log Analytics query API, for the one query an incremental scan sends (whether the last scan's rows arrived),
 * answered from the rows this simulated Azure accepted.
 *
 * The estate can change while the simulation runs (`change`): a vault created, deleted or made another archetype,
 * each operation kept by the emulator's own Activity Log (served with its filter and paging), as an incremental
 * scan reads it.
 *
 * The service decides when a request is sent (buckets, windows and quota are taken then); its answer arrives one
 * latency later. Latency and failure draws depend on the seed, the request's identity and its attempt number, so
 * the scanner and the baselines meet the same luck for the same read.
 */

export const simulatedEndpoint = 'https://management.simulated.invalid';
export const simulatedIngestionEndpoint = 'https://dcr.simulated.invalid';
export const simulatedDcr = 'dcr-00000000000000000000000000000001';
/** The Log Analytics query API: LogsQueryClient's endpoint is this plus /v1. */
export const simulatedLogsQueryEndpoint = 'https://api.loganalytics.simulated.invalid';

/** What the baselines list: every vault's id, paged with $skipToken in the estate's order. */
export const baselineListQuery = `resources
| where type in~ (${resourceTypes})
| project id`;

export interface SimulationStats {
  argRequests: number;
  argThrottled: number;
  armRequests: number;
  /** 429s of ARM reads: the buckets' and Microsoft.Insights'. */
  armThrottled: number;
  armProviderThrottled: number;
  ingestRequests: number;
  /** ARM requests by what they read: settings lists, Activity Log pages, and the rest (destinations). */
  armSettingsRequests: number;
  armActivityLogRequests: number;
  armOtherRequests: number;
  logQueries: number;
  failuresInjected: number;
  /** CPU milliseconds spent answering: not the scanner's. */
  handlingMs: number;
}

export interface SimulatedAzure {
  readonly httpClient: HttpClient;
  readonly stats: SimulationStats;
  /** The findings ingested for `scanId` against the estate's expected verdicts. */
  verify(scanId: string): Verification;
  /** The scan rows ingested. */
  readonly scanRows: readonly Record<string, unknown>[];
  /**
   * Changes the estate now: `serial` becomes `next` (null: deleted), and the Activity Log keeps `operations` at this
   * time. `hidden` vaults do not exist until a change creates them.
   */
  change(serial: number, next: GeneratedVault | null, operations: readonly ArmOperation[]): void;
  /** Each vault's latest finding of a scan, as verdict codes (-1: none); `verdictName` spells a code. */
  verdictsOf(scanId: string): Int16Array;
  verdictName(code: number): string;
  /** Finding rows accepted for a scan, repeats included. */
  rowsOf(scanId: string): number;
}

export interface SimulationOptions {
  /** Vaults that do not exist at first (a change creates them). */
  readonly hidden?: Iterable<number>;
  /** How long the Activity Log takes to list an operation (ms). */
  readonly activityLogDelayMs?: number;
}

const principalToken = (request: PipelineRequest) => /^Bearer\s+(\S+)/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? null;

/** A vault's serial from its id: the generated names end in the serial, base 36. */
function serialOf(id: string): number | null {
  const match = /-([0-9a-z]+)$/i.exec(id);
  return match ? Number.parseInt(match[1]!, 36) : null;
}

interface Answer {
  readonly response: EmulatorResponse | 'reset';
  readonly service: 'arg' | 'arm' | 'ingest';
}

/** `epoch`: when the scan starts (ms), where Microsoft.Insights' fixed windows begin. */
export function simulatedAzure(shape: EstateShape, model: ServiceModel, epoch: number, options: SimulationOptions = {}): SimulatedAzure {
  const vaults = shape.spec.vaults;
  const stats: SimulationStats = {
    argRequests: 0,
    argThrottled: 0,
    armRequests: 0,
    armThrottled: 0,
    armProviderThrottled: 0,
    ingestRequests: 0,
    armSettingsRequests: 0,
    armActivityLogRequests: 0,
    armOtherRequests: 0,
    logQueries: 0,
    failuresInjected: 0,
    handlingMs: 0,
  };
  const argQuota = new ArgUserQuota(model.argQuota);
  const buckets = new ArmReadBuckets({
    principal: model.armPrincipal,
    global: model.armGlobal,
    othersDrainPerSecond: model.armGlobal.refillPerSecond * model.othersShare,
  });
  const subscriptions = new Set(shape.subscriptions.map((s) => s.toLowerCase()));
  const destinations = indexEstate({
    tenantId: shape.tenantId,
    resources: [...shape.otherResources],
    diagnosticSettings: [],
    denied: [],
    subscriptions: [...subscriptions],
    resourceGraphIndexesDiagnosticSettings: false,
  });
  const streams = declareStreams(deployedStreams);
  /** Attempts so far of each vault's settings read, and of every other request by identity. */
  const settingsAttempts = new Uint8Array(vaults);
  const otherAttempts = new Map<string, number>();
  /** Microsoft.Insights' windows: reads so far in the current window, by subscription and region. */
  const providerWindows = new Map<string, { window: number; reads: number }>();
  const providerLimits = new Map<string, ReturnType<typeof providerLimitOf>>();
  /** Each vault's finding for the scan being verified: 0 none yet, else 1 + its first status-reason match. */
  const findings = new Map<string, { seen: Uint8Array; mismatches: FindingMismatch[]; mismatchCount: number; checked: number; unexpected: number; duplicates: number }>();
  const scanRows: Record<string, unknown>[] = [];
  /** The estate's changes: vaults that do not exist (now), vaults now another archetype, absent ones per subscription. */
  const absent = new Uint8Array(vaults);
  const absentIn = new Int32Array(shape.subscriptions.length);
  const replaced = new Map<number, GeneratedVault>();
  const vaultNow = (serial: number) => replaced.get(serial) ?? shape.vault(serial);
  const setAbsent = (serial: number, value: 0 | 1) => {
    if (absent[serial] === value) return;
    absent[serial] = value;
    absentIn[shape.subscriptionOf(serial)]! += value === 1 ? 1 : -1;
  };
  for (const serial of options.hidden ?? []) setAbsent(serial, 1);
  const activityLog = new ActivityLog({ tenantId: shape.tenantId, delayMs: options.activityLogDelayMs ?? 0, pageSize: 200 });
  let operationCount = 0;
  /** Per scan: each vault's latest verdict code (-1 none), distinct resources and rows landed. */
  const verdicts = new Map<string, { codes: Int16Array; distinct: number; rows: number }>();
  const verdictCodes = new Map<string, number>();
  const verdictNames: string[] = [];

  function draws(identity: string, attempt: number) {
    const random = seededRandom(hashSeed(`${model.seed} ${identity} ${attempt}`));
    return { fail: random(), kind: random(), u1: random(), u2: random() };
  }

  // ---- Resource Graph ----

  let hashes: { high: Uint32Array; low: Uint32Array } | null = null;
  /** Lowercased ids of the vaults in one partition, by modulus: built once per modulus, for all its remainders. */
  const partitions = new Map<number, Int32Array[]>();

  function partitionsOf(mod: number): Int32Array[] {
    let byRemainder = partitions.get(mod);
    if (byRemainder) return byRemainder;
    if (!hashes) {
      hashes = { high: new Uint32Array(vaults), low: new Uint32Array(vaults) };
      const encoder = new TextEncoder();
      for (let serial = 0; serial < vaults; serial++) {
        const hash = xxhash64(encoder.encode(shape.vault(serial).resource.id.toLowerCase()));
        hashes.high[serial] = Number(hash >> 32n);
        hashes.low[serial] = Number(hash & 0xffffffffn);
      }
    }
    // (high · 2^32 + low) mod m, in doubles: every product stays under 2^53 for moduli under 2^21.
    const shift = 2 ** 32 % mod;
    const remainders = new Int32Array(vaults);
    const sizes = new Int32Array(mod);
    for (let serial = 0; serial < vaults; serial++) {
      const r = (((hashes.high[serial]! % mod) * shift) % mod + (hashes.low[serial]! % mod)) % mod;
      remainders[serial] = r;
      sizes[r]! += 1;
    }
    byRemainder = Array.from(sizes, (size) => new Int32Array(size));
    const filled = new Int32Array(mod);
    for (let serial = 0; serial < vaults; serial++) {
      const r = remainders[serial]!;
      byRemainder[r]![filled[r]!++] = serial;
    }
    // A split partition asks for twice the modulus; older ones are not asked again.
    if (partitions.size >= 3) partitions.delete(partitions.keys().next().value!);
    partitions.set(mod, byRemainder);
    return byRemainder;
  }

  function inventoryRow(serial: number) {
    const { resource } = vaultNow(serial);
    const id = resource.id.toLowerCase();
    const parts = id.split('/');
    return {
      id,
      name: resource.name,
      type: resource.type.toLowerCase(),
      subscriptionId: parts[2],
      resourceGroup: parts[4],
      location: resource.location,
      tenantId: shape.tenantId,
      tags: resource.tags ?? null,
      diagnosticSettings: null,
    };
  }

  const badQuery = (message: string) =>
    errorResponse(400, 'BadRequest', 'Please provide below info when asking for support.', { details: [{ code: 'InvalidQuery', message }] });

  function resultPage(rows: readonly Record<string, unknown>[], total: number, nextOffset: number | null): EmulatorResponse {
    return {
      status: 200,
      body: {
        totalRecords: total,
        count: rows.length,
        resultTruncated: 'false',
        ...(nextOffset === null ? {} : { $skipToken: Buffer.from(JSON.stringify({ offset: nextOffset })).toString('base64') }),
        data: rows,
        facets: [],
      },
    };
  }

  /** The subscriptions (indexes) a request's scope holds: all of them for a tenant query. */
  function inScope(scope: readonly string[] | undefined): number[] {
    const all = shape.subscriptions.map((_, s) => s);
    if (!scope || scope.length === 0) return all;
    const wanted = new Set(scope.map((s) => s.toLowerCase()));
    return all.filter((s) => wanted.has(shape.subscriptions[s]!.toLowerCase()));
  }

  function resourceGraph(body: string): EmulatorResponse {
    const request = JSON.parse(body) as { subscriptions?: string[]; query: string; options?: { $top?: number; $skipToken?: string } };
    const top = Math.min(request.options?.$top ?? model.argPageSize, model.argPageSize);
    const offset = request.options?.$skipToken ? (JSON.parse(Buffer.from(request.options.$skipToken, 'base64').toString()) as { offset: number }).offset : 0;
    const scope = inScope(request.subscriptions);
    const total = scope.reduce((sum, s) => sum + shape.firstVault[s + 1]! - shape.firstVault[s]! - absentIn[s]!, 0);
    if (request.query === inventoryCountQuery) return resultPage([{ Count: total }], 1, null);
    if (request.query === baselineListQuery) {
      // Its paging counts positions in the estate: a changed estate is not served (the baselines never change one).
      if (absentIn.some((n) => n > 0)) return badQuery('The simulated Resource Graph serves the baselines\' listing only for an estate that has not changed.');
      // The vaults of the scope's subscriptions, in estate order: each subscription's are serials in a row.
      const rows: { id: string }[] = [];
      let skipped = 0;
      for (const s of scope) {
        const [first, end] = [shape.firstVault[s]!, shape.firstVault[s + 1]!];
        for (let serial = Math.max(first, first + offset - skipped); serial < end && rows.length < top; serial++) rows.push({ id: shape.vault(serial).resource.id });
        skipped += end - first;
        if (rows.length >= top) break;
      }
      return resultPage(rows, total, offset + rows.length < total ? offset + rows.length : null);
    }
    const inScopeSubscription = new Set(scope);
    const wanted = (serial: number) => absent[serial] === 0 && (scope.length === shape.subscriptions.length || inScopeSubscription.has(shape.subscriptionOf(serial)));
    const refused = () => badQuery('The simulated Resource Graph serves only the scanner\'s inventory queries and the baselines\' listing.');
    const sizing = /by Bucket = hash\(tolower\(id\), (\d+)\)/.exec(request.query);
    if (sizing) {
      const buckets = Number(sizing[1]);
      if (request.query !== inventorySizingQuery(buckets) || buckets >= 2 ** 21) return refused();
      const sizes: [number, number][] = [];
      for (const [bucket, serials] of partitionsOf(buckets).entries()) {
        let count = 0;
        for (const serial of serials) if (wanted(serial)) count++;
        if (count > 0) sizes.push([bucket, count]);
      }
      return resultPage([{ Sizes: sizes }], 1, null);
    }
    const partition = /hash\(tolower\(id\), (\d+)\) in \(([\d, ]+)\)/.exec(request.query);
    const mod = Number(partition?.[1]);
    const remainders = (partition?.[2] ?? '').split(', ').map(Number);
    if (!partition || request.query !== inventoryQuery({ mod, remainders }) || mod >= 2 ** 21 || remainders.some((r) => r >= mod)) return refused();
    const rows = remainders.flatMap((remainder) => [...partitionsOf(mod)[remainder]!].filter(wanted)).map(inventoryRow);
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = rows.slice(offset, offset + top);
    return resultPage(page, rows.length, offset + page.length < rows.length ? offset + page.length : null);
  }

  // ---- ARM ----

  function providerThrottle(subscriptionId: string, location: string, at: number): EmulatorResponse | null {
    const key = `${subscriptionId.toLowerCase()} ${location.toLowerCase()}`;
    let limit = providerLimits.get(key);
    if (limit === undefined) {
      limit = providerLimitOf(model, subscriptionId, location);
      providerLimits.set(key, limit);
    }
    if (limit === null) return null;
    const window = Math.floor((at - epoch) / limit.windowMs);
    const state = providerWindows.get(key);
    const current = state && state.window === window ? state : { window, reads: 0 };
    providerWindows.set(key, current);
    current.reads += 1;
    if (current.reads <= limit.reads) return null;
    const seconds = Math.max(1, Math.ceil((epoch + (window + 1) * limit.windowMs - at) / 1000));
    // Microsoft.Insights' answer, without ARM's error envelope (as the emulator sends it).
    return unwrappedErrorResponse(
      429,
      'ResourceRequestsThrottled',
      `Number of requests for subscription '${subscriptionId}' and operation 'GET/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS' exceeded the backend storage limit. Please try again after '${seconds}' seconds.`,
      { headers: { 'retry-after': String(seconds) } },
    );
  }

  function armThrottle(subscriptionId: string, token: string, at: number): { headers: Record<string, string>; rejection: EmulatorResponse | null } {
    const bucket = buckets.take(subscriptionId.toLowerCase(), token, at);
    const headers = {
      'x-ms-ratelimit-remaining-subscription-reads': String(bucket.remaining),
      'x-ms-ratelimit-remaining-subscription-global-reads': String(bucket.globalRemaining),
    };
    if (bucket.allowed) return { headers, rejection: null };
    const rejection = errorResponse(
      429,
      'SubscriptionRequestsThrottled',
      `Number of 'read' requests for subscription '${subscriptionId}' exceeded. Please try again after '${bucket.retryAfterSeconds}' seconds after the last request.`,
      { headers: { 'retry-after': String(bucket.retryAfterSeconds) } },
    );
    return { headers, rejection };
  }

  // ---- Logs Ingestion: every finding checked as it lands ----

  function codeOf(verdict: string): number {
    let code = verdictCodes.get(verdict);
    if (code === undefined) {
      code = verdictNames.push(verdict) - 1;
      verdictCodes.set(verdict, code);
    }
    return code;
  }

  function record(rows: readonly Record<string, unknown>[]): void {
    for (const row of rows) {
      const scanId = String(row['ScanId']);
      let scan = findings.get(scanId);
      let landed = verdicts.get(scanId);
      if (!scan || !landed) {
        scan = { seen: new Uint8Array(vaults), mismatches: [], mismatchCount: 0, checked: 0, unexpected: 0, duplicates: 0 };
        findings.set(scanId, scan);
        landed = { codes: new Int16Array(vaults).fill(-1), distinct: 0, rows: 0 };
        verdicts.set(scanId, landed);
      }
      landed.rows += 1;
      const resourceId = normalizeResourceId(String(row['ResourceId']));
      const serial = serialOf(resourceId);
      const vault = serial !== null && serial < vaults ? vaultNow(serial) : null;
      const actual = `${String(row['Status'])}/${String(row['Reason'])}`;
      if (!vault || normalizeResourceId(vault.resource.id) !== resourceId) {
        landed.distinct += 1;
        scan.unexpected += 1;
        continue;
      }
      if (landed.codes[serial!] === -1) landed.distinct += 1;
      landed.codes[serial!] = codeOf(actual);
      // A deleted vault's Removed row is what it should get; any other finding of a vault that does not exist is not.
      if (absent[serial!] === 1) {
        if (row['Status'] !== 'Removed') scan.unexpected += 1;
        continue;
      }
      const expected = `${vault.verdict.status}/${vault.verdict.reason}`;
      if (scan.seen[serial!]) {
        // The same finding again (an upload retried after its answer was lost) is harmless; a different one is not.
        scan.duplicates += 1;
        if (actual !== expected) scan.mismatchCount += 1;
        continue;
      }
      scan.seen[serial!] = 1;
      scan.checked += 1;
      if (actual !== expected) {
        scan.mismatchCount += 1;
        if (scan.mismatches.length < 10) scan.mismatches.push({ resourceId, expected, actual });
      }
    }
  }

  // ---- Log Analytics: the incremental scan's one question ----

  /** How many resources have a finding of a scan: `landedRowsQuery`, matched exactly, and nothing else. */
  function logQuery(path: string, body: string): EmulatorResponse {
    const request = JSON.parse(body) as { query?: string };
    const scanId = /ScanId == '([0-9a-f-]{36})'/.exec(request.query ?? '')?.[1];
    if (!/^\/v1\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+\/query$/i.test(path)) {
      return errorResponse(404, 'NotFound', `No route for ${path}.`);
    }
    if (!scanId || request.query !== landedRowsQuery(scanId)) {
      return { status: 400, body: { error: { code: 'BadArgumentError', message: 'The simulated Log Analytics answers only the landed-rows query.' } } };
    }
    const count = verdicts.get(scanId)?.distinct ?? 0;
    return { status: 200, body: { tables: [{ name: 'PrimaryResult', columns: [{ name: 'Count', type: 'long' }], rows: [[count]] }] } };
  }

  // ---- Routing ----

  function nextAttempt(identity: string): number {
    const attempt = otherAttempts.get(identity) ?? 0;
    otherAttempts.set(identity, attempt + 1);
    return attempt;
  }

  function decide(request: PipelineRequest, at: number): Answer & { readonly latencyMs: number } {
    const url = new URL(request.url);
    const path = decodeURIComponent(url.pathname);
    const query = new Map([...url.searchParams].map(([name, value]) => [name.toLowerCase(), value]));
    const token = principalToken(request);
    const finish = (service: Answer['service'], identity: string, attempt: number, answer: () => EmulatorResponse) => {
      const draw = draws(identity, attempt);
      const latency = latencyMs(model.latency[service], draw.u1, draw.u2);
      const kind = Math.floor(draw.kind * 3);
      const fails = draw.fail < model.failureRate;
      // A 500 or 503 comes back instead of the work; a reset connection loses the answer to work that was done (an
      // upload stored twice when it is retried: the shipped queries de-duplicate by ScanId and ResourceId).
      if (fails && kind > 0) {
        stats.failuresInjected += 1;
        const status = kind === 1 ? 500 : 503;
        return { service, latencyMs: latency, response: errorResponse(status, status === 500 ? 'InternalServerError' : 'ServiceUnavailable', `Simulated failure: ${status}.`) };
      }
      const response = answer();
      if (fails) {
        stats.failuresInjected += 1;
        return { service, latencyMs: latency, response: 'reset' as const };
      }
      return { service, latencyMs: latency, response };
    };
    if (token === null) return { service: 'arm', latencyMs: 0, response: errorResponse(401, 'AuthenticationFailed', 'No bearer token.') };

    if (url.origin === simulatedIngestionEndpoint) {
      stats.ingestRequests += 1;
      const target = uploadTarget(path);
      const body = request.body as Buffer;
      return finish('ingest', `ingest ${target?.stream}`, nextAttempt(`ingest ${target?.stream}`), () => {
        if (!target) return errorResponse(404, 'NotFound', `No route for ${path}.`);
        const outcome = ingest(target, { apiVersion: query.get('api-version'), headers: request.headers.toJSON(), body }, simulatedDcr, streams);
        if (outcome.accepted) {
          if (outcome.accepted.stream === scansTable.streamName) scanRows.push(...outcome.accepted.rows);
          else record(outcome.accepted.rows);
        }
        return outcome.response;
      });
    }
    if (url.origin === simulatedLogsQueryEndpoint) {
      stats.logQueries += 1;
      const body = String(request.body);
      return finish('ingest', `query ${body}`, nextAttempt(`query ${body}`), () => logQuery(path, body));
    }
    if (request.method === 'POST') {
      stats.argRequests += 1;
      const body = String(request.body);
      return finish('arg', `arg ${body}`, nextAttempt(`arg ${body}`), () => {
        const quota = argQuota.take(token, at);
        const headers = { 'x-ms-user-quota-remaining': String(quota.remaining), 'x-ms-user-quota-resets-after': formatResetsAfter(quota.resetsAfterMs) };
        if (!quota.allowed) {
          stats.argThrottled += 1;
          return rateLimited(headers);
        }
        const response = resourceGraph(body);
        return { ...response, headers: { ...headers, ...response.headers } };
      });
    }
    stats.armRequests += 1;
    const activity = activityLogTarget(path);
    if (activity) {
      stats.armActivityLogRequests += 1;
      const identity = `activity ${url.search}`;
      return finish('arm', identity, nextAttempt(identity), () => {
        const { headers, rejection } = armThrottle(activity.subscriptionId, token, at);
        if (rejection) {
          stats.armThrottled += 1;
          return { ...rejection, headers: { ...headers, ...rejection.headers } };
        }
        const linkTo = (skipToken: string) =>
          `${simulatedEndpoint}${url.pathname}?${new URLSearchParams([...[...url.searchParams].filter(([name]) => name.toLowerCase() !== '$skiptoken'), ['$skiptoken', skipToken]])}`;
        const response = activityLog.list(activity, query, subscriptions, at, linkTo);
        return { ...response, headers: { ...headers, ...response.headers } };
      });
    }
    const settings = diagnosticSettingsTarget(path);
    if (settings) {
      stats.armSettingsRequests += 1;
      const serial = serialOf(settings.resourceId);
      const vault = serial !== null && serial < vaults && absent[serial] === 0 ? vaultNow(serial) : null;
      const attempt = serial !== null && serial < vaults ? settingsAttempts[serial]!++ : nextAttempt(path);
      return finish('arm', `settings ${serial}`, attempt, () => {
        const { headers, rejection } = armThrottle(settings.subscriptionId, token, at);
        const throttled = rejection ?? (vault ? providerThrottle(settings.subscriptionId, vault.resource.location, at) : null);
        if (throttled) {
          stats.armThrottled += 1;
          if (!rejection) stats.armProviderThrottled += 1;
          return { ...throttled, headers: { ...headers, ...throttled.headers } };
        }
        const index = indexEstate({
          tenantId: shape.tenantId,
          resources: vault ? [vault.resource] : [],
          diagnosticSettings: vault ? [...vault.settings] : [],
          denied: vault?.access === 'denied' ? [vault.resource.id] : [],
          deletedAfterInventory: vault?.access === 'deletedAfterInventory' ? [vault.resource.id] : [],
          resourceGraphIndexesDiagnosticSettings: false,
        });
        const response = listDiagnosticSettings(settings, query, index, null);
        return { ...response, headers: { ...headers, ...response.headers } };
      });
    }
    stats.armOtherRequests += 1;
    const target = resourceTarget(path);
    return finish('arm', `get ${path.toLowerCase()}`, nextAttempt(`get ${path.toLowerCase()}`), () => {
      if (!target) return errorResponse(404, 'NotFound', `No route for ${request.method} ${path}.`);
      const { headers, rejection } = armThrottle(target.subscriptionId, token, at);
      if (rejection) {
        stats.armThrottled += 1;
        return { ...rejection, headers: { ...headers, ...rejection.headers } };
      }
      const response = getResource(target, query.get('api-version'), destinations);
      return { ...response, headers: { ...headers, ...response.headers } };
    });
  }

  const httpClient: HttpClient = {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const started = process.cpuUsage();
      const answer = decide(request, Date.now());
      // Serialized here, so the answer's cost is the simulation's, not the scanner's.
      const response: PipelineResponse | null =
        answer.response === 'reset'
          ? null
          : {
              request,
              status: answer.response.status,
              headers: createHttpHeaders({
                ...answer.response.headers,
                ...(answer.response.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
              }),
              ...(answer.response.body === undefined ? {} : { bodyAsText: JSON.stringify(answer.response.body) }),
            };
      const spent = process.cpuUsage(started);
      stats.handlingMs += (spent.user + spent.system) / 1000;
      return new Promise((resolve, reject) => {
        setTimeout(() => (response ? resolve(response) : reject(new RestError('read ECONNRESET', { code: 'ECONNRESET', request }))), answer.latencyMs);
      });
    },
  };

  return {
    httpClient,
    stats,
    scanRows,
    change(serial, next, operations) {
      const at = Date.now();
      setAbsent(serial, next === null ? 1 : 0);
      if (next) replaced.set(serial, next);
      for (const operation of operations) {
        const n = (operationCount += 1);
        // Ids unique by rank: GUID-shaped, as the Activity Log's are.
        const guid = (what: number) => `00000000-0000-4000-8000-${(n * 4 + what).toString(16).padStart(12, '0')}`;
        activityLog.record(operation, at, { correlationId: guid(0), clientRequestId: guid(1), eventDataIds: [guid(2), guid(3)] });
      }
    },
    verdictsOf: (scanId) => verdicts.get(scanId)?.codes ?? new Int16Array(vaults).fill(-1),
    verdictName: (code) => verdictNames[code] ?? 'none',
    rowsOf: (scanId) => verdicts.get(scanId)?.rows ?? 0,
    verify(scanId) {
      const scan = findings.get(scanId);
      const checked = scan?.checked ?? 0;
      const existing = vaults - absentIn.reduce((sum, n) => sum + n, 0);
      return {
        expected: existing,
        checked,
        mismatchCount: scan?.mismatchCount ?? 0,
        mismatches: scan?.mismatches ?? [],
        missing: existing - checked,
        unexpected: scan?.unexpected ?? 0,
        duplicates: scan?.duplicates ?? 0,
      };
    },
  };
}
