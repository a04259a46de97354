import type { Fault, FaultService } from './faults.js';
import { hashSeed, seededRandom } from './random.js';

type Failure = Extract<Fault, { kind: 'failure' }>;

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
      if (seededRandom(hashSeed(`${this.seed}|${index}|${key}|${attempt}`))() < fault.probability) return fault;
    }
    return null;
  }

  /** Added latency for a service's responses. */
  latencyMs(service: FaultService): number {
    return this.faults.reduce((sum, fault) => sum + (fault.kind === 'latency' && fault.service === service ? fault.ms : 0), 0);
  }
}
