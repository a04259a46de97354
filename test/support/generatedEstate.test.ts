import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { type Emulator, parseEstate, startEmulator } from './emulator.js';
import { type GeneratedEstateSpec, generateEstate } from './generatedEstate.js';
import { isKvAuditError } from '../../src/errors.js';
import { controlReasons } from '../../src/findings/schema.js';
import { scanEmulator } from './emulatorScan.js';
import { thrownBy } from './thrownBy.js';

const small: GeneratedEstateSpec = { vaults: 1_200, subscriptions: 12, largestSubscription: 300, seed: 7 };

const isVault = (type: string) => /^microsoft\.keyvault\/(vaults|managedhsms)$/i.test(type);
const subscriptionOf = (id: string) => id.split('/')[2]?.toLowerCase() ?? '';

describe('the spec', () => {
  it.each([
    [
      'every field out of range',
      { vaults: 0, subscriptions: 1.5, largestSubscription: -3, seed: 0.5 },
      [
        'vaults: must be a positive integer, got 0',
        'subscriptions: must be a positive integer, got 1.5',
        'largestSubscription: must be a positive integer, got -3',
        'seed: must be an integer, got 0.5',
      ],
    ],
    [
      'a largest subscription that leaves another one empty',
      { vaults: 10, subscriptions: 5, largestSubscription: 7, seed: 1 },
      ['largestSubscription: at most vaults - (subscriptions - 1) = 6, so every other subscription holds a vault; got 7'],
    ],
    [
      'a largest subscription smaller than the others would have to be',
      { vaults: 100, subscriptions: 3, largestSubscription: 10, seed: 1 },
      ['largestSubscription: 10 is too small: the other 2 subscriptions cannot hold the remaining 90 vaults without one exceeding it'],
    ],
  ])('%s: InvalidArguments listing every problem', (_scenario, spec, problems) => {
    const error = thrownBy(() => generateEstate(spec));
    expect(isKvAuditError(error) && [error.code, error.details]).toEqual(['InvalidArguments', problems]);
  });

  it('the same spec gives the same estate; another seed another one', () => {
    const first = generateEstate(small);
    expect(generateEstate(small)).toEqual(first);
    expect(generateEstate({ ...small, seed: 8 }).estate).not.toEqual(first.estate);
  });
});

describe('the spread over subscriptions', () => {
  it.each([
    ['the scale target', { vaults: 100_000, subscriptions: 500, largestSubscription: 3_000, seed: 1 }, 1],
    ['a small estate', small, 1],
    ['one vault per subscription', { vaults: 7, subscriptions: 7, largestSubscription: 1, seed: 1 }, 7],
    ['one subscription', { vaults: 50, subscriptions: 1, largestSubscription: 50, seed: 1 }, 1],
    ['so dense that every subscription is as big as the largest', { vaults: 1_000, subscriptions: 4, largestSubscription: 250, seed: 1 }, 4],
  ])('%s: exact totals, every subscription holds a vault, none more than the largest', (_scenario, spec, holdingTheLargest) => {
    const generated = generateEstate(spec);
    const counts = [...generated.vaultsPerSubscription.values()];
    const vaultsBySubscription = new Map<string, number>();
    for (const resource of generated.estate.resources.filter((r) => isVault(r.type))) {
      const subscription = subscriptionOf(resource.id);
      vaultsBySubscription.set(subscription, (vaultsBySubscription.get(subscription) ?? 0) + 1);
    }

    expect(vaultsBySubscription).toEqual(generated.vaultsPerSubscription);
    expect([counts.length, counts.reduce((a, b) => a + b, 0), generated.expected.size]).toEqual([spec.subscriptions, spec.vaults, spec.vaults]);
    expect([Math.min(...counts) >= 1, Math.max(...counts)]).toEqual([true, spec.largestSubscription]);
    expect(counts.filter((n) => n === spec.largestSubscription).length).toBe(holdingTheLargest);
  });

  it.each([
    ['a dense estate', { vaults: 100_000, subscriptions: 500, largestSubscription: 3_000, seed: 2 }],
    ['a medium estate', { vaults: 20_000, subscriptions: 100, largestSubscription: 2_000, seed: 3 }],
    ['a sparse estate', { vaults: 5_000, subscriptions: 500, largestSubscription: 1_000, seed: 4 }],
  ])('%s: the other subscriptions are uneven, a few big ones holding much of it', (_scenario, spec) => {
    const others = [...generateEstate(spec).vaultsPerSubscription.values()].slice(1).sort((a, b) => b - a);
    const topTenth = others.slice(0, Math.ceil(others.length / 10)).reduce((a, b) => a + b, 0);
    expect(others[0]! / others.at(-1)!).toBeGreaterThan(5);
    // An even spread would give the top tenth a tenth of the vaults.
    expect(topTenth / (spec.vaults - spec.largestSubscription)).toBeGreaterThan(0.2);
  });
});

describe('the estate', () => {
  it('is a valid estate file, whose vaults are exactly those with an expected verdict', () => {
    const generated = generateEstate(small);
    const parsed = parseEstate(JSON.parse(JSON.stringify(generated.estate)));
    const vaultIds = parsed.resources.filter((r) => isVault(r.type)).map((r) => normalizeResourceId(r.id));
    expect(vaultIds.sort()).toEqual([...generated.expected.keys()].sort());
    expect(parsed.resourceGraphIndexesDiagnosticSettings).toBe(false);
  });

  it('holds the documented mix, exactly', () => {
    const generated = generateEstate({ vaults: 10_000, subscriptions: 40, largestSubscription: 1_000, seed: 5 });
    const verdicts = new Map<string, number>();
    for (const { status, reason } of generated.expected.values()) verdicts.set(`${status}/${reason}`, (verdicts.get(`${status}/${reason}`) ?? 0) + 1);
    expect(Object.fromEntries(verdicts)).toEqual({
      'Pass/AuditLogsDelivered': 7_100,
      'Fail/RetentionTooShort': 100,
      'Fail/DestinationNotApproved': 400,
      'Fail/DestinationBlocked': 100,
      'Fail/DestinationNotFound': 100,
      'Fail/NoDestination': 100,
      'Fail/AuditLogsNotEnabled': 600,
      'Fail/NoDiagnosticSettings': 800,
      'Exempt/Exempted': 300,
      'Error/AccessDenied': 200,
      'Error/ReadFailed': 100,
      'Error/MalformedRecord': 100,
    });
    expect(generated.estate.resources.filter((r) => r.type === 'Microsoft.KeyVault/managedHSMs').length).toBe(200);
  });

  it('exercises every reason of the default profile at a moderate size (the cis profile\'s own reason needs KV_AUDIT_PROFILE=cis)', () => {
    const reasons = new Set([...generateEstate(small).expected.values()].map((v) => v.reason));
    expect([...reasons].sort()).toEqual(controlReasons.filter((r) => r !== 'CisCategoryGroupsMissing').sort());
  });
});

describe('scanned end to end', () => {
  const generated = generateEstate(small);
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: generated.estate });
  });
  afterAll(() => emulator.close());

  it('the real scan gives every vault its expected Status and Reason', async () => {
    const run = await scanEmulator(emulator, generated.env);
    const verdicts = new Map(run.findings.map((f) => [normalizeResourceId(f.ResourceId), { status: f.Status, reason: f.Reason }]));
    expect(verdicts).toEqual(generated.expected);
  });
});
