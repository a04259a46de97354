import { type ControlStatus, controlStatuses } from '../findings/schema.js';
import { IdTable, compareIds } from './idTable.js';

/*
 * What the state keeps per resource, for a million resources on one 2 GB instance. As one object per resource (a
 * record keyed by id, its destinations spelled out) it took some 600 bytes a resource on the heap and 400 in JSON:
 * a million resources, loaded, rebuilt and serialized in one scan, needed well over the instance's memory. Here a
 * resource is its id and one short entry string, its destinations numbers in a table of destination ids; the loaded
 * ids are front-coded off the heap in ascending order (idTable.ts, found by binary search), and a scan updates the
 * entries in place rather than building a second state beside the first. Stored, it is one line a resource, read
 * and written as a stream (scanState.ts), so neither a whole file's text nor a second copy of the states is ever in
 * memory. Loaded, about 70 bytes a resource on the heap and 25 off it; 175 stored. Ids are ordered as UTF-8 orders
 * them (compareIds), by the writer, the reader and the search alike.
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
  #ids: IdTable;
  #entries: (string | null)[];
  #marks: Uint8Array;
  /** Resources the loaded state did not know, by id. */
  readonly #added = new Map<string, string>();
  readonly #destinations: string[];
  readonly #destinationNumbers: Map<string, number>;

  private constructor(ids: IdTable, entries: (string | null)[], destinations: string[]) {
    this.#ids = ids;
    this.#entries = entries;
    this.#marks = new Uint8Array(ids.size);
    this.#destinations = destinations;
    this.#destinationNumbers = new Map(destinations.map((id, n) => [id, n]));
  }

  static empty(): ResourceStates {
    return new ResourceStates(IdTable.of([]), [], []);
  }

  /**
   * Reads stored lines (`storedLines`), one at a time, into states: `line` says what is wrong with a line that is
   * not one this version writes, `done` gives the states once every line was read.
   */
  static reader(destinations: readonly string[]): { line(bytes: Buffer): string | null; done(): ResourceStates } {
    const ids = IdTable.builder();
    const entries: string[] = [];
    return {
      line(bytes) {
        // The id goes into the table as bytes; the entry is decoded from the bytes, not sliced from the line's text
        // (a slice would keep the whole line alive).
        const tab = bytes.indexOf(9);
        const id = tab < 0 ? null : storedId(bytes.subarray(tab + 1));
        if (id === null || id.length === 0) return `line ${entries.length + 1} is not an entry and a resource id`;
        const entry = bytes.toString('latin1', 0, tab);
        const name = () => id.toString('utf8');
        if (!entryPattern.test(entry)) return `the entry of ${name()} is not one this version writes`;
        if (numbersOf(entry).some((n) => n >= destinations.length)) return `the entry of ${name()} names a destination the state does not list`;
        if (!ids.add(id)) return `resource ids are not in ascending order at ${name()}`;
        entries.push(entry);
        return null;
      },
      done: () => new ResourceStates(ids.done(), entries, [...destinations]),
    };
  }

  /**
   * A scan starts from these states: every resource known so far (those a scan in this process added too) among the
   * loaded ones, and nothing marked yet. A state just read from storage is that already.
   */
  beginScan(): void {
    if (this.#added.size > 0) {
      const ids = IdTable.builder();
      const entries: string[] = [];
      for (const [id, entry] of this.#inOrder()) {
        // Two ids the same in UTF-8 (strings differing only in lone surrogates) keep the first one's state.
        if (ids.add(Buffer.from(id, 'utf8'))) entries.push(entry);
      }
      this.#ids = ids.done();
      this.#entries = entries;
      this.#added.clear();
    }
    this.#marks = new Uint8Array(this.#ids.size);
  }

  #entryOf(id: string): string | undefined {
    const at = this.#ids.find(id);
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
    // Joined, not a template: one flat string, where a template leaves a tree of pieces (some 300 bytes more).
    return [state.finding, state.record, state.status, state.readFailed ? 1 : 0, state.exemptionUntil ?? '-', numbers.length > 0 ? numbers.join(',') : '-'].join(' ');
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
    const at = this.#ids.find(id);
    if (at >= 0 && this.#marks[at] === untouched) this.#marks[at] = listed;
  }

  /** This scan evaluated the resource: its state from now on. */
  update(id: string, state: ResourceState): void {
    const entry = this.#pack(state);
    const at = this.#ids.find(id);
    if (at < 0) {
      this.#added.set(id, entry);
      return;
    }
    this.#entries[at] = entry;
    this.#marks[at] = settled;
  }

  /** This scan carried the resource's last state forward. */
  keep(id: string): void {
    const at = this.#ids.find(id);
    if (at >= 0) this.#marks[at] = settled;
  }

  /** Loaded resources this scan neither evaluated nor carried forward, and whether the inventory listed each. */
  *unsettled(): Generator<{ readonly id: string; readonly listed: boolean }> {
    for (const [at, id] of this.#ids.entries()) {
      if (this.#entries[at] !== null && this.#marks[at] !== settled) yield { id, listed: this.#marks[at] === listed };
    }
  }

  /** The resource left the scope. */
  drop(id: string): void {
    const at = this.#ids.find(id);
    if (at >= 0) this.#entries[at] = null;
    else this.#added.delete(id);
  }

  /** Every resource's state, loaded ones in id order and then added ones. */
  *entries(): Generator<[string, ResourceState]> {
    for (const [id, entry] of this.#rawEntries()) yield [id, this.#unpack(entry)];
  }

  *ids(): Generator<string> {
    for (const [id] of this.#rawEntries()) yield id;
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

  /**
   * The stored form: the destinations in use, numbered afresh, and one line a resource in ascending id order
   * (`<entry>\t<id as a JSON string>`), made as they are read so that no copy of the states is made.
   */
  stored(): { readonly destinations: readonly string[]; readonly resources: number; lines(): Generator<string> } {
    const renumbered = new Map<number, number>();
    const destinations: string[] = [];
    for (const n of this.#usedNumbers()) {
      renumbered.set(n, destinations.length);
      destinations.push(this.#destinations[n]!);
    }
    let resources = this.#added.size;
    for (const entry of this.#entries) if (entry !== null) resources += 1;
    const states = this;
    return {
      destinations,
      resources,
      *lines() {
        for (const [id, entry] of states.#inOrder()) {
          const numbers = numbersOf(entry);
          const stored = numbers.length === 0 ? entry : entry.slice(0, entry.lastIndexOf(' ') + 1) + numbers.map((n) => renumbered.get(n)).join(',');
          yield `${stored}\t${JSON.stringify(id)}`;
        }
      },
    };
  }

  /** Every resource and its entry in ascending id order: the loaded ones are in order, the added ones merged in. */
  *#inOrder(): Generator<[string, string]> {
    const added = [...this.#added.keys()].sort(compareIds);
    let next = 0;
    for (const [at, id] of this.#ids.entries()) {
      const entry = this.#entries[at];
      if (entry === null || entry === undefined) continue;
      for (; next < added.length && compareIds(added[next]!, id) < 0; next++) yield [added[next]!, this.#added.get(added[next]!)!];
      yield [id, entry];
    }
    for (; next < added.length; next++) yield [added[next]!, this.#added.get(added[next]!)!];
  }

  *#rawEntries(): Generator<[string, string]> {
    for (const [at, id] of this.#ids.entries()) {
      const entry = this.#entries[at];
      if (entry !== null && entry !== undefined) yield [id, entry];
    }
    yield* this.#added;
  }

  #usedNumbers(): Set<number> {
    const used = new Set<number>();
    for (const [, entry] of this.#rawEntries()) for (const n of numbersOf(entry)) used.add(n);
    return used;
  }
}

/** A stored id (a JSON string) as UTF-8 bytes: a view of the line's when it holds nothing escaped (as ARM ids never do). */
function storedId(bytes: Buffer): Buffer | null {
  const quote = 0x22;
  if (bytes.length < 2 || bytes[0] !== quote || bytes[bytes.length - 1] !== quote) return null;
  if (!bytes.includes(0x5c)) return bytes.subarray(1, bytes.length - 1);
  try {
    const id: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof id === 'string' ? Buffer.from(id, 'utf8') : null;
  } catch {
    return null;
  }
}

/** The destination numbers of an entry. */
function numbersOf(entry: string): number[] {
  const numbers = entry.slice(entry.lastIndexOf(' ') + 1);
  return numbers === '-' ? [] : numbers.split(',').map(Number);
}
