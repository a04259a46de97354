import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceStates } from '../../src/state/resourceStates.js';
import { type ScanState, scanStateVersion } from '../../src/state/scanState.js';
import { blobStateStore, fileStateStore } from '../../src/state/stateStore.js';
import { type Azurite, startAzurite } from '../support/emulator.js';
import { tempDir } from '../support/tempDirs.js';

/*
 * Where a scan's state is kept between scans: a blob for the scheduled function (Azurite, the real Azure Storage
 * emulator, through the real BlockBlobClient), a file for kv-audit scan --state. What is saved reads back the same;
 * two scans saving over the same version cannot both win; a state this version did not write is no state.
 */

const vaultId = (n: number) => `/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg-app/providers/microsoft.keyvault/vaults/kv-${String(n).padStart(6, '0')}`;
const workspace = '/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg-logs/providers/microsoft.operationalinsights/workspaces/law-audit';

function scanState(vaults: number, scanId = '2f0a8c3e-5b1d-4e7a-9c6f-0d2b4a6e8f10'): ScanState {
  const resources = ResourceStates.empty();
  for (let n = 0; n < vaults; n++) {
    resources.update(vaultId(n), { finding: 'Ab3-_Zq90xY', status: n % 2 ? 'Fail' : 'Pass', record: '9Zq0AAAAAAA', destinations: n % 2 ? [] : [workspace], exemptionUntil: null, readFailed: false });
  }
  return {
    version: scanStateVersion,
    scanId,
    startedAt: '2026-12-07T09:00:00.000Z',
    lastFullAt: '2026-12-07T09:00:00.000Z',
    basis: 'AAAAAAAAAAA',
    resources,
    destinations: { [workspace]: 'BBBBBBBBBBB' },
    destinationsChangedWithoutArm: [],
    writtenCount: vaults,
    written: null,
  };
}

/** A state as comparable data: its envelope, and every resource's state in order. */
const contentOf = (state: ScanState | null) => state && { ...state, resources: [...state.resources.entries()] };

describe('the state in a blob (Azurite)', () => {
  let azurite: Azurite;
  let container: ContainerClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('kv-audit-state');
    await container.create();
  });
  afterAll(() => azurite?.close());

  it('none yet: no state and no problem (the first scan is full)', async () => {
    expect(await blobStateStore(container.getBlockBlobClient('absent.json')).load()).toEqual({ state: null, problem: null });
  });

  it('20,000 resources saved, then loaded by the next scan: the same state', async () => {
    const blob = container.getBlockBlobClient('round-trip.json');
    const saved = scanState(20_000);
    expect(await blobStateStore(blob).save(saved)).toEqual({ saved: true, problem: null });
    const { state, problem } = await blobStateStore(blob).load();
    expect(problem).toBeNull();
    expect(contentOf(state)).toEqual(contentOf(scanState(20_000)));
  });

  it('two scans that read the same version: the first to save wins, the other is told and keeps nothing', async () => {
    const blob = container.getBlockBlobClient('race.json');
    await blobStateStore(blob).save(scanState(3));
    const [one, two] = [blobStateStore(blob), blobStateStore(blob)];
    await one.load();
    await two.load();
    expect(await one.save(scanState(4, '11111111-1111-4111-8111-111111111111'))).toEqual({ saved: true, problem: null });
    const lost = await two.save(scanState(5, '22222222-2222-4222-8222-222222222222'));
    expect(lost).toEqual({ saved: false, problem: expect.stringMatching(/changed since it was read \(another scan saved first\)/) });
    expect((await blobStateStore(blob).load()).state?.scanId).toBe('11111111-1111-4111-8111-111111111111');
  });

  it('a state an older version wrote is no state, and says why', async () => {
    const blob = container.getBlockBlobClient('old.json');
    const old = JSON.stringify({ version: 3, resources: { [vaultId(1)]: { finding: 'x'.repeat(22) } } });
    await blob.upload(old, old.length);
    expect(await blobStateStore(blob).load()).toEqual({ state: null, problem: expect.stringMatching(/is not one this version reads \(version: /) });
  });

  it('a state of 20,000 resources goes up in blocks, committed under the condition', async () => {
    const blob = container.getBlockBlobClient('blocks.json');
    await blobStateStore(blob).save(scanState(20_000));
    const { committedBlocks = [] } = await blob.getBlockList('committed');
    expect(committedBlocks.length).toBeGreaterThan(0);
    expect((await blob.getProperties()).contentLength).toBeGreaterThan(20_000 * 150);
  });
});

describe('the state in a file (kv-audit scan --state)', () => {
  it('saved whole and read back the same; the file is text a person can read: a JSON line, then a line a resource', async () => {
    const path = join(tempDir('state-file'), 'kv-audit-state.txt');
    expect(await fileStateStore(path).save(scanState(3))).toEqual({ saved: true, problem: null });
    expect(existsSync(`${path}.tmp`)).toBe(false);
    const [first, ...resources] = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(first!)).toMatchObject({ version: scanStateVersion, resourceDestinations: [workspace], resourceCount: 3 });
    expect(resources).toEqual([0, 1, 2].map((n) => `Ab3-_Zq90xY 9Zq0AAAAAAA ${n % 2 ? 'Fail 0 - -' : 'Pass 0 - 0'}\t"${vaultId(n)}"`));
    expect(contentOf((await fileStateStore(path).load()).state)).toEqual(contentOf(scanState(3)));
  });

  it('a file cut short (a disk that filled) is no state: it lists fewer resources than it counts', async () => {
    const path = join(tempDir('state-file'), 'kv-audit-state.txt');
    await fileStateStore(path).save(scanState(3));
    writeFileSync(path, readFileSync(path, 'utf8').split('\n').slice(0, 3).join('\n'));
    expect(await fileStateStore(path).load()).toEqual({ state: null, problem: expect.stringContaining('it lists 2 of the 3 resources it counts (cut short?)') });
  });

  it('an empty file is no state, and says so', async () => {
    const path = join(tempDir('state-file'), 'kv-audit-state.txt');
    writeFileSync(path, '');
    expect(await fileStateStore(path).load()).toEqual({ state: null, problem: `the state in ${path} is not one this version reads (it is empty)` });
  });

  it('an entry changed by hand is no state, naming the resource', async () => {
    const path = join(tempDir('state-file'), 'kv-audit-state.txt');
    await fileStateStore(path).save(scanState(2));
    writeFileSync(path, readFileSync(path, 'utf8').replace('Ab3-_Zq90xY 9Zq0AAAAAAA Fail', 'Ab3-_Zq90xY 9Zq0AAAAAAA Gone'));
    expect(await fileStateStore(path).load()).toEqual({ state: null, problem: expect.stringContaining(`resources: the entry of ${vaultId(1)} is not one this version writes`) });
  });
});
