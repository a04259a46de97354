import { type ControlStatus, controlStatuses } from '../findings/schema.js';

/*
 * What the state keeps per resource, for a million resources on one 2 GB instance. As one object per resource (a
 * record keyed by id, its destinations spelled out) it took some 600 bytes a resource on the heap and 400 in JSON:
 * a million resources, loaded, rebuilt and serialized in one scan, needed well over the instance's memory. Here a
 * resource is its id and one short entry string, its destinations numbers in a table of destination ids; the loaded
 * ids stay in ascending order (found by binary search) and a scan updates the entries in place rather than
 * building a second state beside the first. About 200 bytes a resource in memory, 150 in JSON.
 */

/** What one resource's finding rests on, as the next scan needs it. */
export interface ResourceState {
  /** Fingerprint of the finding's content (everything but TimeGenerated and ScanId). */
  readonly finding: string;
  readonly status: ControlStatus;
  /** Fingerprint of the Resource Graph record the finding was made from (name, type, location, tags). */
  readonly record: string;
  /** Audit destinations (normalized ids) whose existence the finding rests on. */
  readonly destinations: readonly string[];
  /** The exemption's last day (YYYY-MM-DD), when the finding rests on an active one. */
  readonly exemptionUntil: string | null;
  /** The last read failed in a way the next may not: read again. */
  readonly readFailed: boolean;
}

/** The persisted form: ids in ascending order, one entry each, and the destination ids entries refer to by number. */
export interface PersistedResources {
  readonly destinations: readonly string[];
  readonly ids: readonly string[];
  readonly entries: readonly string[];
}

/** `finding record status readFailed exemptionUntil destinations`, e.g. `Ab3…x 9Zq…0 Pass 0 - 4,17`. */
const entryPattern = new RegExp(`^[A-Za-z0-9_-]{11} [A-Za-z0-9_-]{11} (?:${controlStatuses.join('|')}) [01] (?:-|\\d{4}-\\d{2}-\\d{2}) (?:-|\\d+(?:,\\d+)*)$`);

/** A fingerprint as entries hold it: 11 base64url characters (66 bits). */
export const fingerprintLength = 11;

/** What this scan did with a loaded resource: nothing yet; the inventory listed it; its entry is this scan's. */
const untouched = 0;
const listed = 1;
const settled = 2;

export class ResourceStates {
  /** The loaded resources: ascending ids, their entries (null once dropped), and what this scan did with each. */
  #ids: readonly string[];
  #entries: (string | null)[];
  #marks: Uint8Array;
  /** Resources the loaded state did not know, by id. */
  readonly #added = new Map<string, string>();
  readonly #destinations: string[];
  readonly #destinationNumbers: Map<string, number>;

  private constructor(ids: readonly string[], entries: (string | null)[], destinations: string[]) {
    this.#ids = ids;
    this.#entries = entries;
    this.#marks = new Uint8Array(ids.length);
    this.#destinations = destinations;
    this.#destinationNumbers = new Map(destinations.map((id, n) => [id, n]));
  }

  static empty(): ResourceStates {
    return new ResourceStates([], [], []);
  }

  /** The loaded form, checked whole; a problem, naming the first thing wrong, when it is not one this version wrote. */
  static fromPersisted({ destinations, ids, entries }: PersistedResources): ResourceStates | string {
    if (entries.length !== ids.length) return `${ids.length} resource ids but ${entries.length} entries`;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!id.startsWith('/subscriptions/') || id !== id.toLowerCase()) return `resource ${i} (${id}) is not a normalized resource id`;
      if (i > 0 && ids[i - 1]! >= id) return `resource ids are not in ascending order at ${i} (${id})`;
      const entry = entries[i]!;
      if (!entryPattern.test(entry)) return `the entry of ${id} is not one this version writes`;
      const numbers = entry.slice(entry.lastIndexOf(' ') + 1);
      if (numbers !== '-' && numbers.split(',').some((n) => Number(n) >= destinations.length)) return `the entry of ${id} names a destination the state does not list`;
    }
    return new ResourceStates(ids, [...entries], [...destinations]);
  }

  /**
   * A scan starts from these states: every resource known so far (those a scan in this process added too) among the
   * loaded ones, and nothing marked yet. A state just read from storage is that already.
   */
  beginScan(): void {
    if (this.#added.size > 0) {
      const { ids, entries } = this.#merged((entry) => entry);
      this.#ids = ids;
      this.#entries = entries;
      this.#added.clear();
    }
    this.#marks = new Uint8Array(this.#ids.length);
  }

  /** Index of a loaded id, or -1. */
  #find(id: string): number {
    let low = 0;
    let high = this.#ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const probe = this.#ids[middle]!;
      if (probe === id) return middle;
      if (probe < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  #entryOf(id: string): string | undefined {
    const at = this.#find(id);
    return at >= 0 ? (this.#entries[at] ?? undefined) : this.#added.get(id);
  }

  #destinationNumber(id: string): number {
    let n = this.#destinationNumbers.get(id);
    if (n === undefined) {
      n = this.#destinations.push(id) - 1;
      this.#destinationNumbers.set(id, n);
    }
    return n;
  }

  #pack(state: ResourceState): string {
    const numbers = state.destinations.map((d) => this.#destinationNumber(d));
    return `${state.finding} ${state.record} ${state.status} ${state.readFailed ? 1 : 0} ${state.exemptionUntil ?? '-'} ${numbers.length > 0 ? numbers.join(',') : '-'}`;
  }

  #unpack(entry: string): ResourceState {
    const [finding, record, status, readFailed, until, numbers] = entry.split(' ') as [string, string, ControlStatus, string, string, string];
    return {
      finding,
      record,
      status,
      readFailed: readFailed === '1',
      exemptionUntil: until === '-' ? null : until,
      destinations: numbers === '-' ? [] : numbers.split(',').map((n) => this.#destinations[Number(n)]!),
    };
  }

  get(id: string): ResourceState | undefined {
    const entry = this.#entryOf(id);
    return entry === undefined ? undefined : this.#unpack(entry);
  }

  /** The inventory listed the resource: not gone, even should its evaluation fail. */
  markListed(id: string): void {
    const at = this.#find(id);
    if (at >= 0 && this.#marks[at] === untouched) this.#marks[at] = listed;
  }

  /** This scan evaluated the resource: its state from now on. */
  update(id: string, state: ResourceState): void {
    const entry = this.#pack(state);
    const at = this.#find(id);
    if (at < 0) {
      this.#added.set(id, entry);
      return;
    }
    this.#entries[at] = entry;
    this.#marks[at] = settled;
  }

  /** This scan carried the resource's last state forward. */
  keep(id: string): void {
    const at = this.#find(id);
    if (at >= 0) this.#marks[at] = settled;
  }

  /** Loaded resources this scan neither evaluated nor carried forward, and whether the inventory listed each. */
  *unsettled(): Generator<{ readonly id: string; readonly listed: boolean }> {
    for (let at = 0; at < this.#ids.length; at++) {
      if (this.#entries[at] !== null && this.#marks[at] !== settled) yield { id: this.#ids[at]!, listed: this.#marks[at] === listed };
    }
  }

  /** The resource left the scope. */
  drop(id: string): void {
    const at = this.#find(id);
    if (at >= 0) this.#entries[at] = null;
    else this.#added.delete(id);
  }

  /** Every resource's state, loaded ones in id order and then added ones. */
  *entries(): Generator<[string, ResourceState]> {
    for (let at = 0; at < this.#ids.length; at++) {
      const entry = this.#entries[at];
      if (entry !== null && entry !== undefined) yield [this.#ids[at]!, this.#unpack(entry)];
    }
    for (const [id, entry] of this.#added) yield [id, this.#unpack(entry)];
  }

  *ids(): Generator<string> {
    for (let at = 0; at < this.#ids.length; at++) if (this.#entries[at] !== null) yield this.#ids[at]!;
    yield* this.#added.keys();
  }

  /** The destinations some resource's finding rests on. */
  destinationIds(): Set<string> {
    const used = new Set<string>();
    for (const n of this.#usedNumbers()) used.add(this.#destinations[n]!);
    return used;
  }

  /** Resources whose findings rest on a destination `test` accepts. */
  idsRestingOn(test: (destination: string) => boolean): string[] {
    const wanted = new Set<number>();
    for (const [n, id] of this.#destinations.entries()) if (test(id)) wanted.add(n);
    if (wanted.size === 0) return [];
    const found: string[] = [];
    for (const [id, entry] of this.#rawEntries()) if (numbersOf(entry).some((n) => wanted.has(n))) found.push(id);
    return found;
  }

  /** The persisted form: every resource in ascending id order; only destinations in use, numbered afresh. */
  toPersisted(): PersistedResources {
    const renumbered = new Map<number, number>();
    const destinations: string[] = [];
    for (const n of this.#usedNumbers()) {
      renumbered.set(n, destinations.length);
      destinations.push(this.#destinations[n]!);
    }
    const { ids, entries } = this.#merged((entry) => {
      const cut = entry.lastIndexOf(' ') + 1;
      const numbers = entry.slice(cut);
      return numbers === '-' ? entry : entry.slice(0, cut) + numbers.split(',').map((n) => renumbered.get(Number(n))).join(',');
    });
    return { destinations, ids, entries };
  }

  /** Every resource in ascending id order (the loaded ones are in order: the added ones are merged in), its entry mapped. */
  #merged(map: (entry: string) => string): { ids: string[]; entries: string[] } {
    const ids: string[] = [];
    const entries: string[] = [];
    const put = (id: string, entry: string) => {
      ids.push(id);
      entries.push(map(entry));
    };
    const added = [...this.#added.keys()].sort();
    let next = 0;
    for (let at = 0; at < this.#ids.length; at++) {
      const entry = this.#entries[at];
      if (entry === null || entry === undefined) continue;
      const id = this.#ids[at]!;
      for (; next < added.length && added[next]! < id; next++) put(added[next]!, this.#added.get(added[next]!)!);
      put(id, entry);
    }
    for (; next < added.length; next++) put(added[next]!, this.#added.get(added[next]!)!);
    return { ids, entries };
  }

  *#rawEntries(): Generator<[string, string]> {
    for (let at = 0; at < this.#ids.length; at++) {
      const entry = this.#entries[at];
      if (entry !== null && entry !== undefined) yield [this.#ids[at]!, entry];
    }
    yield* this.#added;
  }

  #usedNumbers(): Set<number> {
    const used = new Set<number>();
    for (const [, entry] of this.#rawEntries()) for (const n of numbersOf(entry)) used.add(n);
    return used;
  }
}

/** The destination numbers of an entry. */
function numbersOf(entry: string): number[] {
  const numbers = entry.slice(entry.lastIndexOf(' ') + 1);
  return numbers === '-' ? [] : numbers.split(',').map(Number);
}
