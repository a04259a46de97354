import { normalizeResourceId } from './armIds.js';
import type { ArmOperation } from './estateChanges.js';
import { type EmulatorResponse, errorResponse, unwrappedErrorResponse } from './http.js';

/*
 * GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01: the
 * Activity Log list API, as @azure/arm-monitor's `activityLogs.list(filter, { select })` calls it. The contract
 * (Azure/azure-rest-api-specs, monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json,
 * and Learn: "Retrieve activity log data using Azure monitor REST API"):
 * - `$filter` is required and holds at least `eventTimestamp ge '<time>'` (azure-rest-api-specs#2467); optionally
 *   `eventTimestamp le '<time>'` and one of `resourceGroupName`, `resourceUri` (the CLI sends `resourceId`),
 *   `resourceProvider` or `correlationId eq '<value>'`, joined with `and`. "No other syntax is allowed": anything else
 *   is a 400 BadRequest (MicrosoftDocs/feedback#319: "$filter searching parameters invalid"), as is a start more
 *   than 90 days back (the retention; azure-cli#4885), in Microsoft.Insights' unwrapped `{ code, message }`.
 * - `$select` names the EventData properties to return.
 * - Pages link the next one with `nextLink`; entries come newest first.
 * - Each ARM operation logs a `Started` (BeginRequest) and a `Succeeded` (EndRequest) entry with one correlationId.
 * - Entries appear only `activityLogDelaySeconds` after their eventTimestamp (`submissionTimestamp`), as the real
 *   log lags, and are kept 90 days.
 */

const listPath = /^\/+subscriptions\/([^/]+)\/providers\/microsoft\.insights\/eventtypes\/management\/values\/?$/i;

export interface ActivityLogTarget {
  readonly subscriptionId: string;
}

/** The subscription a list request is for, or null when the path is not the Activity Log list. */
export function activityLogTarget(path: string): ActivityLogTarget | null {
  const match = listPath.exec(path);
  return match?.[1] ? { subscriptionId: match[1].toLowerCase() } : null;
}

const retentionMs = 90 * 24 * 3600_000;

/** EventData's properties, as `$select` may name them (any case). */
const eventDataProperties = [
  'authorization',
  'caller',
  'category',
  'claims',
  'correlationId',
  'description',
  'eventDataId',
  'eventName',
  'eventTimestamp',
  'httpRequest',
  'id',
  'level',
  'operationId',
  'operationName',
  'properties',
  'resourceGroupName',
  'resourceId',
  'resourceProviderName',
  'resourceType',
  'status',
  'subStatus',
  'submissionTimestamp',
  'subscriptionId',
  'tenantId',
] as const;

interface Entry {
  readonly timeMs: number;
  readonly sequence: number;
  readonly data: Readonly<Record<string, unknown>>;
  /** Lowercased values the filter terms compare with. */
  readonly keys: { readonly resourceGroupName: string; readonly resourceId: string; readonly resourceProvider: string; readonly correlationId: string };
}

const localizable = (value: string, localizedValue = value) => ({ value, localizedValue });

/** The caller every emulated operation is made by: a service principal. */
export const emulatedCaller = { objectId: '9f1c3e5a-7b2d-4e6f-8a9b-0c1d2e3f4a5b', appId: '2d7e9f1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a' };

interface Filter {
  readonly fromMs: number;
  readonly toMs: number;
  readonly term: { readonly name: keyof Entry['keys']; readonly value: string } | null;
}

const termNames: Record<string, keyof Entry['keys']> = {
  resourcegroupname: 'resourceGroupName',
  resourceuri: 'resourceId',
  resourceid: 'resourceId',
  resourceprovider: 'resourceProvider',
  correlationid: 'correlationId',
};

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The filter, or why it is not one of the documented patterns. */
function parseFilter(text: string | undefined, nowMs: number): Filter | string {
  if (text === undefined || text.trim() === '') return 'The $filter parameter is required, with at least eventTimestamp ge.';
  let fromMs: number | undefined;
  let toMs: number | undefined;
  let term: Filter['term'] = null;
  for (const part of text.trim().split(/\s+and\s+/i)) {
    const match = /^(\w+)\s+(ge|le|eq)\s+'((?:[^']|'')*)'$/i.exec(part.trim());
    if (!match) return `'${part}' is not a supported term: terms are eventTimestamp ge|le '<time>' or <name> eq '<value>', joined with 'and'.`;
    const [, rawName = '', op = '', rawValue = ''] = match;
    const name = rawName.toLowerCase();
    const value = rawValue.replaceAll("''", "'");
    if (name === 'eventtimestamp' && (op.toLowerCase() === 'ge' || op.toLowerCase() === 'le')) {
      const ms = isoTime.test(value) ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(ms)) return `'${value}' is not an ISO 8601 date and time.`;
      if (op.toLowerCase() === 'ge') {
        if (fromMs !== undefined) return 'eventTimestamp ge is given twice.';
        fromMs = ms;
      } else {
        if (toMs !== undefined) return 'eventTimestamp le is given twice.';
        toMs = ms;
      }
      continue;
    }
    const key = termNames[name];
    if (key === undefined || op.toLowerCase() !== 'eq') return `'${part.trim()}' is not a supported term.`;
    if (term !== null) return 'At most one of resourceGroupName, resourceUri, resourceProvider and correlationId may be given.';
    term = { name: key, value: key === 'resourceId' ? normalizeResourceId(value) : value.toLowerCase() };
  }
  if (fromMs === undefined) return 'The $filter must include eventTimestamp ge.';
  if (fromMs < nowMs - retentionMs) return 'The start time cannot be more than 90 days in the past.';
  if (toMs !== undefined && toMs < fromMs) return 'The end time (eventTimestamp le) is before the start time (eventTimestamp ge).';
  return { fromMs, toMs: toMs ?? nowMs, term };
}

function parseSelect(text: string | undefined): (typeof eventDataProperties)[number][] | string | null {
  if (text === undefined || text.trim() === '') return null;
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !eventDataProperties.some((p) => p.toLowerCase() === n.toLowerCase()));
  if (unknown.length > 0) return `$select names unknown properties: ${unknown.join(', ')}.`;
  return eventDataProperties.filter((p) => names.some((n) => n.toLowerCase() === p.toLowerCase()));
}

function badRequest(message: string): EmulatorResponse {
  return unwrappedErrorResponse(400, 'BadRequest', `$filter searching parameters invalid: ${message}`);
}

/** Where a listing goes on: after the entry at (timeMs, sequence), newest first. */
function encodeSkipToken(entry: Entry): string {
  return Buffer.from(`${entry.timeMs}.${entry.sequence}`).toString('base64url');
}

function decodeSkipToken(token: string): { timeMs: number; sequence: number } | null {
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? { timeMs: Number(match[1]), sequence: Number(match[2]) } : null;
}

export interface ActivityLogSettings {
  readonly tenantId: string;
  /** Milliseconds before an entry is listed. */
  readonly delayMs: number;
  readonly pageSize: number;
}

/** Every operation the estate went through, as the Activity Log keeps them. */
export class ActivityLog {
  private readonly entries: Entry[] = [];
  private sequence = 0;

  constructor(private readonly settings: ActivityLogSettings) {}

  /** Logs an operation made at `timeMs`: its Started and its Succeeded entry. */
  record(operation: ArmOperation, timeMs: number, ids: { correlationId: string; eventDataIds: readonly [string, string]; clientRequestId: string }): void {
    const resourceType = operation.operationName.slice(0, operation.operationName.lastIndexOf('/'));
    const statusCode = operation.action === 'write' && !operation.existed ? 'Created' : 'OK';
    const eventTimestamp = new Date(timeMs).toISOString();
    const common = {
      authorization: { action: operation.operationName, scope: operation.resourceUri },
      caller: emulatedCaller.objectId,
      category: localizable('Administrative'),
      claims: { appid: emulatedCaller.appId, 'http://schemas.microsoft.com/identity/claims/objectidentifier': emulatedCaller.objectId },
      correlationId: ids.correlationId,
      description: '',
      httpRequest: { clientRequestId: ids.clientRequestId, clientIpAddress: '192.0.2.10', method: operation.action === 'delete' ? 'DELETE' : 'PUT' },
      level: 'Informational',
      operationId: ids.correlationId,
      operationName: localizable(operation.operationName),
      resourceGroupName: operation.resourceGroup,
      resourceId: operation.resourceUri,
      resourceProviderName: localizable(operation.resourceProvider),
      resourceType: localizable(resourceType),
      eventTimestamp,
      submissionTimestamp: new Date(timeMs + this.settings.delayMs).toISOString(),
      subscriptionId: operation.subscriptionId,
      tenantId: this.settings.tenantId,
    };
    const keys = {
      resourceGroupName: operation.resourceGroup.toLowerCase(),
      resourceId: normalizeResourceId(operation.resourceUri),
      resourceProvider: operation.resourceProvider.toLowerCase(),
      correlationId: ids.correlationId.toLowerCase(),
    };
    // .NET ticks, as the id of a real entry ends with.
    const ticks = (BigInt(timeMs) * 10_000n + 621_355_968_000_000_000n).toString();
    const phases = [
      { eventName: localizable('BeginRequest', 'Begin request'), status: localizable('Started'), subStatus: localizable(''), properties: {} },
      {
        eventName: localizable('EndRequest', 'End request'),
        status: localizable('Succeeded'),
        subStatus: localizable(statusCode, `${statusCode} (HTTP Status Code: ${statusCode === 'Created' ? 201 : 200})`),
        properties: { statusCode },
      },
    ];
    phases.forEach((phase, i) => {
      const eventDataId = ids.eventDataIds[i]!;
      const data = { ...common, ...phase, eventDataId, id: `${operation.resourceUri}/events/${eventDataId}/ticks/${ticks}` };
      this.entries.push({ timeMs, sequence: (this.sequence += 1), data, keys });
    });
  }

  /** The list API's answer, at `nowMs`; `linkTo` makes the next page's absolute URL from its skip token. */
  list(
    target: ActivityLogTarget,
    query: ReadonlyMap<string, string>,
    visibleSubscriptions: ReadonlySet<string>,
    nowMs: number,
    linkTo: (skipToken: string) => string,
  ): EmulatorResponse {
    if (query.get('api-version') === undefined) {
      return errorResponse(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (!visibleSubscriptions.has(target.subscriptionId)) {
      return errorResponse(
        403,
        'AuthorizationFailed',
        `The client does not have authorization to perform action 'Microsoft.Insights/eventtypes/values/read' over scope '/subscriptions/${target.subscriptionId}' or the scope is invalid.`,
      );
    }
    const filter = parseFilter(query.get('$filter'), nowMs);
    if (typeof filter === 'string') return badRequest(filter);
    const select = parseSelect(query.get('$select'));
    if (typeof select === 'string') return badRequest(select);
    const skipToken = query.get('$skiptoken');
    const after = skipToken === undefined ? null : decodeSkipToken(skipToken);
    if (skipToken !== undefined && after === null) return badRequest(`'${skipToken}' is not a skip token this API issued.`);

    const oldest = Math.max(filter.fromMs, nowMs - retentionMs);
    const matching = this.entries
      .filter(
        (entry) =>
          entry.data['subscriptionId'] === target.subscriptionId &&
          entry.timeMs + this.settings.delayMs <= nowMs &&
          entry.timeMs >= oldest &&
          entry.timeMs <= filter.toMs &&
          (filter.term === null || entry.keys[filter.term.name] === filter.term.value) &&
          (after === null || entry.timeMs < after.timeMs || (entry.timeMs === after.timeMs && entry.sequence < after.sequence)),
      )
      .sort((a, b) => b.timeMs - a.timeMs || b.sequence - a.sequence);
    const page = matching.slice(0, this.settings.pageSize);
    const value = page.map((entry) => (select === null ? entry.data : Object.fromEntries(select.map((p) => [p, entry.data[p]]))));
    const last = page.at(-1);
    const more = matching.length > page.length && last !== undefined;
    return { status: 200, body: { value, ...(more ? { nextLink: linkTo(encodeSkipToken(last)) } : {}) } };
  }
}
