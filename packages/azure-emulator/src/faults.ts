import { guidPattern } from './armIds.js';
import { EmulatorInputError } from './errors.js';

/*
 * Faults the emulator injects, written as a comma-separated spec:
 *
 *   arg:429@0.3          ARG answers 429 to 30% of requests
 *   arm:reset@0.05       ARM drops 5% of connections mid-response
 *   ingest:503@0.1       Logs Ingestion answers 503 to 10% of uploads
 *   arm:503ra@0.1        ARM answers 503 with Retry-After: 1 (as Azure does under load)
 *   arm:rpthrottle@0.01  Microsoft.Insights throttles the read's subscription and region on its own
 *                        (429 ResourceRequestsThrottled, for the emulator's provider Retry-After)
 *   ingest:drop@0.2      Logs Ingestion answers 204 and keeps nothing (the service drops what it cannot map)
 *   arg:notoken@1.0      ARG leaves out the $skipToken of a page that has more rows after it
 *   arg:duprow@1.0       ARG lists a page's first row twice
 *   arm:500@1.0~<sub>    every ARM read in subscription <sub> answers 500: a persistent per-subscription outage
 *   latency:arm=200ms    every ARM response is delayed by 200 ms
 *   events:drop@0.1      Event Grid never delivers 10% of the events to the queue
 *   events:dup@0.1       Event Grid delivers 10% of the events twice (at least once, as documented)
 *   events:reorder@0.1   10% of the events are delivered after the event that follows them
 *   latency:events=5000ms  every event reaches the queue 5 s (on the emulator's clock) after its operation
 *
 * Services: arg, arm, ingest (requests), events (Event Grid deliveries). Outcomes: 429, 500, 502, 503, 504; 429ra
 * and 503ra (that status with Retry-After: 1); reset (status line, headers and part of the body are written, then
 * the socket is destroyed), all three for requests only; rpthrottle (arm only); drop (ingest and events); notoken
 * and duprow (arg only); dup and reorder (events only). The `~<subscription id>` filter applies to arm only:
 * ARM reads are the one request that targets a single subscription.
 */

const faultServices = ['arg', 'arm', 'ingest', 'events'] as const;
export type FaultService = (typeof faultServices)[number];

const faultStatuses = [429, 500, 502, 503, 504] as const;
export type FaultStatus = (typeof faultStatuses)[number];
/** The services a status outcome applies to: those that answer requests. */
const statusServices: readonly FaultService[] = ['arg', 'arm', 'ingest'];

/** Outcomes that are not a plain status, and the services they apply to. */
const namedOutcomes = {
  reset: ['arg', 'arm', 'ingest'],
  '429ra': ['arg', 'arm', 'ingest'],
  '503ra': ['arg', 'arm', 'ingest'],
  rpthrottle: ['arm'],
  drop: ['ingest', 'events'],
  // Event Grid's delivery, which is at least once and not ordered (Learn: "Delivery and retry").
  dup: ['events'],
  reorder: ['events'],
  // Hostile Resource Graph answers: a page that says there are more rows but carries no $skipToken, and a page that
  // lists its first row twice.
  notoken: ['arg'],
  duprow: ['arg'],
} as const satisfies Record<string, readonly FaultService[]>;
export type NamedOutcome = keyof typeof namedOutcomes;

export type Fault =
  | {
      readonly kind: 'failure';
      readonly service: FaultService;
      readonly outcome: FaultStatus | NamedOutcome;
      /** 0..1: the share of requests that fail. */
      readonly probability: number;
      /** Lowercased; null = every subscription. */
      readonly subscriptionId: string | null;
    }
  | { readonly kind: 'latency'; readonly service: FaultService; readonly ms: number };

const failurePattern = /^([a-z]+):([a-z0-9]+)@([^~]*)(?:~(.*))?$/i;
const latencyPattern = /^latency:([a-z]+)=(\d+)ms$/i;

/** `a, b and c`. */
const listed = (items: readonly (string | number)[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

function isService(value: string): value is FaultService {
  return (faultServices as readonly string[]).includes(value);
}

function parseItem(item: string): Fault | string {
  const latency = latencyPattern.exec(item);
  if (latency) {
    const [, service = '', ms = ''] = latency;
    if (!isService(service.toLowerCase())) return `'${item}': unknown service '${service}' (arg, arm, ingest or events)`;
    return { kind: 'latency', service: service.toLowerCase() as FaultService, ms: Number(ms) };
  }
  const failure = failurePattern.exec(item);
  if (!failure) return `'${item}': expected service:status@probability[~subscriptionId] or latency:service=<n>ms`;
  const [, rawService = '', rawOutcome = '', rawProbability = '', rawSubscription] = failure;
  const service = rawService.toLowerCase();
  const outcome = rawOutcome.toLowerCase();
  const probability = Number(rawProbability);
  const problems: string[] = [];
  if (!isService(service)) problems.push(`unknown service '${rawService}' (arg, arm, ingest or events)`);
  const status = faultStatuses.find((s) => String(s) === outcome);
  const named = Object.hasOwn(namedOutcomes, outcome) ? (outcome as NamedOutcome) : undefined;
  if (status === undefined && named === undefined) {
    problems.push(`unknown outcome '${rawOutcome}' (${[...faultStatuses, ...Object.keys(namedOutcomes)].join(', ')})`);
  }
  const services: readonly FaultService[] | undefined = named ? namedOutcomes[named] : undefined;
  if (named && isService(service) && services && !services.includes(service)) {
    problems.push(`outcome '${named}' applies to ${listed(services)} only`);
  }
  if (status !== undefined && isService(service) && !statusServices.includes(service)) {
    problems.push(`outcome '${status}' applies to ${listed(statusServices)} only`);
  }
  if (rawProbability.trim() === '' || !Number.isFinite(probability) || probability < 0 || probability > 1) {
    problems.push(`probability '${rawProbability}' is not a number from 0 to 1`);
  }
  if (rawSubscription !== undefined && !guidPattern.test(rawSubscription)) problems.push(`'${rawSubscription}' is not a subscription id`);
  if (rawSubscription !== undefined && service !== 'arm') problems.push('a subscription filter applies only to arm faults');
  if (problems.length > 0 || !isService(service)) return `'${item}': ${problems.join('; ')}`;
  return {
    kind: 'failure',
    service,
    outcome: status ?? named ?? 'reset',
    probability,
    subscriptionId: rawSubscription?.toLowerCase() ?? null,
  };
}

/** Parses a fault spec; every bad item is reported at once. */
export function parseFaultSpec(spec: string): Fault[] {
  const items = spec
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const parsed = items.map(parseItem);
  const problems = parsed.filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) {
    throw new EmulatorInputError('InvalidFaults', `Invalid fault spec '${spec}' (${problems.length} bad item${problems.length === 1 ? '' : 's'}):`, {
      details: problems,
    });
  }
  return parsed.filter((p): p is Fault => typeof p !== 'string');
}
