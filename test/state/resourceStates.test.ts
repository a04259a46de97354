import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ResourceState, ResourceStates } from '../../src/state/resourceStates.js';

/** The per-resource states a scheduled scan keeps: compact, updated in place, and read back only as written. */

const sub = (n: number) => `/subscriptions/0000000${n}-0000-4000-8000-000000000000`;
const vault = (n: number, name: string) => `${sub(n)}/resourcegroups/rg-app/providers/microsoft.keyvault/vaults/${name}`;
const workspace = `${sub(1)}/resourcegroups/rg-logs/providers/microsoft.operationalinsights/workspaces/law-audit`;
const account = `${sub(2)}/resourcegroups/rg-logs/providers/microsoft.storage/storageaccounts/stauditlogs`;

const state = (overrides: Partial<ResourceState> = {}): ResourceState => ({
  finding: 'Ab3-_Zq90xY',
  status: 'Pass',
  record: '9Zq0AAAAAAA',
  destinations: [workspace],
  exemptionUntil: null,
  readFailed: false,
  ...overrides,
});

/** The stored form of some states: the destination table, and the lines. */
function stored(states: ResourceStates) {
  const { destinations, resources, lines } = states.stored();
  return { destinations, resources, lines: [...lines()] };
}

/** States read from stored lines: the states, or the first problem. */
function read(destinations: readonly string[], lines: readonly string[]): ResourceStates | string {
  const reader = ResourceStates.reader(destinations);
  for (const line of lines) {
    const problem = reader.line(Buffer.from(line));
    if (problem) return problem;
  }
  return reader.done();
}

/** States as the last scan left them, read back from their stored form, as a scheduled scan starts from them. */
function loaded(entries: readonly (readonly [string, ResourceState])[]): ResourceStates {
  const written = ResourceStates.empty();
  for (const [id, s] of entries) written.update(id, s);
  const { destinations, lines } = stored(written);
  const states = read(destinations, lines);
  if (typeof states === 'string') throw new Error(states);
  states.beginScan();
  return states;
}

describe('a resource state, stored and read back', () => {
  it.each([
    { scenario: 'a passing vault sending to a workspace', s: state() },
    { scenario: 'a failing vault with no destination', s: state({ status: 'Fail', destinations: [] }) },
    { scenario: 'an exempt vault until a day', s: state({ status: 'Exempt', exemptionUntil: '2027-03-31' }) },
    { scenario: 'a vault whose read failed', s: state({ status: 'Error', readFailed: true, destinations: [] }) },
    { scenario: 'a vault with two destinations', s: state({ destinations: [workspace, account] }) },
  ])('$scenario: the same state', ({ s }) => {
    expect(loaded([[vault(1, 'kv-a'), s]]).get(vault(1, 'kv-a'))).toEqual(s);
  });

  it('keeps ids in ascending order and names each destination once, however many resources rest on it', () => {
    const written = ResourceStates.empty();
    written.update(vault(2, 'kv-b'), state({ destinations: [account] }));
    written.update(vault(1, 'kv-z'), state());
    written.update(vault(1, 'kv-a'), state({ destinations: [workspace, account] }));
    expect(stored(written)).toEqual({
      destinations: [account, workspace],
      resources: 3,
      lines: [
        `Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 1,0\t"${vault(1, 'kv-a')}"`,
        `Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 1\t"${vault(1, 'kv-z')}"`,
        `Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 0\t"${vault(2, 'kv-b')}"`,
      ],
    });
  });

  it('drops destinations no resource rests on any longer when it is stored', () => {
    const states = loaded([
      [vault(1, 'kv-a'), state({ destinations: [workspace] })],
      [vault(1, 'kv-b'), state({ destinations: [account] })],
    ]);
    states.update(vault(1, 'kv-b'), state({ destinations: [] }));
    expect(stored(states).destinations).toEqual([workspace]);
    expect(states.destinationIds()).toEqual(new Set([workspace]));
  });
});

describe('any ids, stored and read back', () => {
  it('every resource keeps its state, found by its id, whether read from storage or carried in the same process', () => {
    const anyId = fc.oneof(
      fc.stringMatching(/^[a-z0-9-]{1,12}$/).map((name) => vault(1, name)),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      fc.constantFrom(vault(1, 'kv-\u{e000}'), vault(1, 'kv-\u{1f600}'), vault(1, 'kv-\u{ffef}')),
    );
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(anyId, fc.constantFrom('Pass', 'Fail', 'Error', 'Exempt') as fc.Arbitrary<ResourceState['status']>), { selector: ([id]) => id, maxLength: 60 }), (resources) => {
        const states = loaded(resources.map(([id, status]) => [id, state({ status })]));
        const inProcess = ResourceStates.empty();
        for (const [id, status] of resources) inProcess.update(id, state({ status }));
        inProcess.beginScan();
        for (const [id, status] of resources) {
          expect(states.get(id)?.status).toBe(status);
          expect(inProcess.get(id)?.status).toBe(status);
        }
        expect([...states.unsettled()]).toHaveLength(resources.length);
        expect(new Set(states.ids())).toEqual(new Set(resources.map(([id]) => id)));
      }),
    );
  });
});

describe('a scan updating the last scan states in place', () => {
  const a = vault(1, 'kv-a');
  const b = vault(1, 'kv-b');
  const c = vault(2, 'kv-c');
  const d = vault(2, 'kv-d');

  it('knows which it evaluated, carried forward, only listed, or never saw', () => {
    const states = loaded([[a, state()], [b, state()], [c, state()], [d, state()]]);
    states.update(a, state({ status: 'Fail', destinations: [] }));
    states.keep(b);
    states.markListed(c);
    states.update(vault(3, 'kv-new'), state());
    expect([...states.unsettled()]).toEqual([
      { id: c, listed: true },
      { id: d, listed: false },
    ]);
    states.drop(d);
    expect([...states.ids()]).toEqual([a, b, c, vault(3, 'kv-new')]);
    expect(states.get(a)).toEqual(state({ status: 'Fail', destinations: [] }));
    expect(states.get(d)).toBeUndefined();
  });

  it('a second scan in the same process starts afresh: what the first added is known, nothing is marked', () => {
    const states = loaded([[a, state()]]);
    states.update(b, state());
    states.keep(a);
    states.beginScan();
    expect([...states.unsettled()].map((u) => u.id)).toEqual([a, b]);
  });

  it('finds the resources resting on a destination, or under one that is gone', () => {
    const rule = `${sub(2)}/resourcegroups/rg-logs/providers/microsoft.eventhub/namespaces/ehns/authorizationrules/send`;
    const states = loaded([
      [a, state({ destinations: [workspace] })],
      [b, state({ destinations: [rule] })],
      [c, state({ destinations: [account, rule] })],
    ]);
    const namespace = `${sub(2)}/resourcegroups/rg-logs/providers/microsoft.eventhub/namespaces/ehns`;
    expect(states.idsRestingOn((destination) => destination.startsWith(`${namespace}/`))).toEqual([b, c]);
    expect(states.idsRestingOn((destination) => destination === `${namespace}-other`)).toEqual([]);
  });
});

describe('a stored form this version did not write is no state', () => {
  const [a, b] = [vault(1, 'kv-a'), vault(1, 'kv-b')];
  const good = [`Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 0\t"${a}"`, `Ab3-_Zq90xY 9Zq0AAAAAAA Fail 0 - -\t"${b}"`];
  it.each([
    { scenario: 'ids out of order', lines: [...good].reverse(), problem: /not in ascending order at .*kv-a/ },
    { scenario: 'an id listed twice', lines: [good[0]!, good[0]!], problem: /not in ascending order/ },
    { scenario: 'a line without its id', lines: ['Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 0'], problem: 'line 1 is not an entry and a resource id' },
    { scenario: 'an id that is not a JSON string', lines: [`Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 0\t${a}`], problem: 'line 1 is not an entry and a resource id' },
    { scenario: 'an older, longer fingerprint', lines: [`Ab3-_Zq90xYAb3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 0\t"${a}"`], problem: /is not one this version writes/ },
    { scenario: 'a status no finding has', lines: [`Ab3-_Zq90xY 9Zq0AAAAAAA Removed 0 - 0\t"${a}"`], problem: /is not one this version writes/ },
    { scenario: 'a destination number past the table', lines: [`Ab3-_Zq90xY 9Zq0AAAAAAA Pass 0 - 1\t"${a}"`], problem: /names a destination the state does not list/ },
  ])('$scenario', ({ lines, problem }) => {
    expect(read([workspace], lines)).toMatch(problem);
  });

  it('and the good form reads, an id with characters JSON escapes too (a malformed record keeps its state)', () => {
    const odd = 'not an "id"\twith a tab';
    const states = read([workspace], [...good, `Ab3-_Zq90xY 9Zq0AAAAAAA Error 1 - -\t${JSON.stringify(odd)}`]);
    expect(states).toBeInstanceOf(ResourceStates);
    expect((states as ResourceStates).get(odd)).toEqual(state({ status: 'Error', readFailed: true, destinations: [] }));
  });
});
