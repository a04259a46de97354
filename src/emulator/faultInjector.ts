import type { Fault, FaultService } from './faults.js';

type Failure = Extract<Fault, { kind: 'failure' }>;

/** 32-bit FNV-1a: turns a decision's identity into a PRNG seed. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** One draw of mulberry32 from a seed: a number in [0, 1). */
function mulberry32(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * Decides which requests fail. Each decision is drawn from the seed, the fault, the request's identity
 * (e.g. the resource read) and how many times that request was seen before, not from one shared stream:
 * the scanner reads ARM concurrently, so arrival order varies between runs while this stays reproducible.
 */
export class FaultInjector {
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly faults: readonly Fault[],
    private readonly seed: number,
  ) {}

  /** The failure to inject into this request, if any. */
  failureFor(service: FaultService, requestKey: string, subscriptionId: string | null): Failure | null {
    const key = `${service} ${requestKey}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    for (const [index, fault] of this.faults.entries()) {
      if (fault.kind !== 'failure' || fault.service !== service) continue;
      if (fault.subscriptionId !== null && fault.subscriptionId !== subscriptionId?.toLowerCase()) continue;
      if (mulberry32(fnv1a(`${this.seed}|${index}|${key}|${attempt}`)) < fault.probability) return fault;
    }
    return null;
  }

  /** Added latency for a service's responses. */
  latencyMs(service: FaultService): number {
    return this.faults.reduce((sum, fault) => sum + (fault.kind === 'latency' && fault.service === service ? fault.ms : 0), 0);
  }
}
