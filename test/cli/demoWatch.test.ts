import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readHostQueueSettings, watchEvents } from '../../src/cli/demoWatch.js';
import { loadSettings } from '../../src/config/settings.js';
import { type FindingRow, findingRowSchema } from '../../src/findings/schema.js';
import {
  type Azurite,
  type Emulator,
  type Estate,
  connectEventQueue,
  parseFaultSpec,
  sampleEnv,
  sampleWatchEstate,
  startAzurite,
  startEmulator,
} from '../support/emulator.js';
import { emulatorConnection, emulatorEnv } from '../support/emulatorScan.js';
import { tempDir } from '../support/tempDirs.js';
import { runCli } from './runCli.js';

/*
 * `kv-audit demo --watch`: the sample estate's timeline plays on the emulator, Event Grid (emulated) delivers each
 * change to a queue in Azurite, and the event path turns each into a finding within seconds. The timeline starts
 * once the first scan is done; it is compressed here (a second apart) so the run takes seconds, not the demo's 25.
 */

const timeline = sampleWatchEstate.timeline!;

/** The watch estate as an estate file, its changes a second apart from `startSeconds`. */
function watchEstateFile(startSeconds: number): string {
  const estate: Estate = { ...sampleWatchEstate, timeline: timeline.map((entry, i) => ({ ...entry, afterSeconds: startSeconds + i })) };
  const file = join(tempDir('watch-estate'), 'estate.json');
  writeFileSync(file, JSON.stringify(estate));
  return file;
}

const findingsIn = (cwd: string) =>
  readFileSync(join(cwd, 'findings.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => findingRowSchema.parse(JSON.parse(line)));

/** Each resource's last finding in the file, by name: what the workspace's latest-finding queries would show. */
function latestByName(rows: readonly FindingRow[]): Record<string, string> {
  const latest = new Map<string, FindingRow>();
  for (const row of rows) latest.set(row.ResourceName, row);
  return Object.fromEntries([...latest].map(([name, row]) => [name, `${row.Status} ${row.Reason ?? ''}`.trim()]));
}

describe('kv-audit demo --watch', () => {
  it('turns each change of the timeline into a finding within seconds, and the findings file holds them', async () => {
    const { code, stdout, stderr, cwd } = await runCli(['demo', '--watch', '--estate', watchEstateFile(1), '--out', 'findings.ndjson'], sampleEnv);
    expect([code, stderr]).toEqual([0, expect.stringContaining('Event Grid to Azurite')]);
    const watch = stdout.slice(stdout.indexOf('Watching for changes'));
    // One line per event, in the order the changes happened, each followed by the finding it led to.
    expect(watch.match(/^ {2}\d\d:\d\d:\d\d {2}\S+ {2}\S+$/gm)).toEqual([
      expect.stringMatching(/Microsoft\.Insights\/diagnosticSettings\/delete {2}kv-checkout-prod\/stream-to-siem$/),
      expect.stringMatching(/Microsoft\.KeyVault\/vaults\/write {2}kv-loyalty-prod$/),
      expect.stringMatching(/Microsoft\.Insights\/diagnosticSettings\/write {2}kv-checkout-prod\/stream-to-siem$/),
      expect.stringMatching(/Microsoft\.OperationalInsights\/workspaces\/delete {2}law-apps-weu$/),
    ]);
    expect(watch).toMatch(/→ kv-loyalty-prod: not seen before → Fail \(NoDiagnosticSettings\), written \d+\.\d s after the change/);
    // The event names only the workspace: the first scan's state says which vault sent its audit logs there.
    expect(watch).toMatch(/→ kv-apps-prod: Fail \(RetentionTooShort\) → Fail \(DestinationNotFound\)/);
    expect(watch).toContain('Event Grid: 4 events published, 4 messages delivered (0 duplicates); the event path wrote 4 findings.');
    expect(watch).toMatch(/Change → finding: median \d+\.\d s, slowest \d+\.\d s\./);

    const rows = findingsIn(cwd);
    // The first scan's 21 findings, then one per event: what the emulated Logs Ingestion API accepted.
    expect(rows).toHaveLength(25);
    expect(latestByName(rows)).toMatchObject({
      'kv-checkout-prod': 'Pass AuditLogsDelivered',
      'kv-loyalty-prod': 'Fail NoDiagnosticSettings',
      'kv-apps-prod': 'Fail DestinationNotFound',
    });
  });

  it('an event lost on the way is caught by the next scheduled scan, from the Activity Log', async () => {
    const { code, stdout, cwd } = await runCli(
      ['demo', '--watch', '--estate', watchEstateFile(1), '--out', 'findings.ndjson', '--faults', 'events:drop@1.0'],
      sampleEnv,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('Event Grid: 4 events published, 0 messages delivered (0 duplicates); the event path wrote 0 findings.');
    expect(stdout).toContain('4 events were lost before reaching the queue (events:drop)');
    const catchUp = stdout.slice(stdout.indexOf('The next scheduled scan, run now:'));
    // The sample settings verify delivery, which every finding records afresh: that scan is full, and says so.
    expect(catchUp).toMatch(/^Full: every resource read again$/m);
    // The checkout setting was deleted and put back: its finding is what it was. The other two changes are caught
    // (listed by resource id: the payments subscription's vault first).
    expect(catchUp.match(/^ {2}→ .*$/gm)).toEqual([
      '  → kv-loyalty-prod: not seen before → Fail (NoDiagnosticSettings)',
      '  → kv-apps-prod: Fail (RetentionTooShort) → Fail (DestinationNotFound)',
    ]);
    expect(latestByName(findingsIn(cwd))).toMatchObject({ 'kv-loyalty-prod': 'Fail NoDiagnosticSettings', 'kv-apps-prod': 'Fail DestinationNotFound' });
  });

  it('refuses what it cannot do, every problem at once, before anything starts', async () => {
    const noTimeline = join(tempDir('watch-estate'), 'estate.json');
    writeFileSync(noTimeline, JSON.stringify({ ...sampleWatchEstate, timeline: undefined }));
    const { code, stdout, stderr } = await runCli(['demo', '--watch', '--fix', '-o', 'json', '--estate', noTimeline], sampleEnv);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toContain(`--watch: estate file ${noTimeline} has no timeline, so nothing would change`);
    expect(stderr).toContain('--watch: prints each event and its finding as it comes; it takes no -o json');
    expect(stderr).toContain('--watch and --fix: choose one');
    expect(stderr).not.toContain('Local Azure emulator listening');
  });
});

describe('the watch loop, as the Functions host treats a message that keeps failing', () => {
  let azurite: Azurite | undefined;
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    await azurite?.close();
    emulator = azurite = undefined;
  });

  it('delivers it again after the visibility timeout and, past maxDequeueCount, parks it in the poison queue', async () => {
    azurite = await startAzurite();
    const [first] = timeline;
    const payments = first!.deleteDiagnosticSettings![0]!.split('/')[2]!;
    // Every ARM read in the vault's subscription fails: the event can never be evaluated.
    emulator = await startEmulator({
      estate: { ...sampleWatchEstate, timeline: [{ ...first!, afterSeconds: 0 }] },
      holdTimeline: true,
      faults: parseFaultSpec(`arm:500@1.0~${payments}`),
      retryAfterSeconds: 0,
      events: { connectionString: azurite.connectionString },
    });
    const settings = loadSettings(emulatorEnv(emulator, sampleEnv), { requireIngestion: true });
    const queue = await connectEventQueue(azurite.connectionString);
    const deployedHost = readHostQueueSettings(join(import.meta.dirname, '..', '..', 'host.json'));
    // Held until now: nothing changes before the watch reads the queue.
    expect(emulator.changesToCome).toBe(1);
    emulator.playTimeline();
    let stdout = '';
    let stderr = '';
    const result = await watchEvents({
      io: { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {}, cwd: '.' },
      emulator,
      queue,
      // The deployed host's settings, with the waits shortened.
      host: { ...deployedHost, maxPollingInterval: 0, visibilityTimeout: 0, maxDequeueCount: 2 },
      settings,
      connection: emulatorConnection(emulator),
      state: null,
      findings: [],
      signal: new AbortController().signal,
    });
    expect(deployedHost).toEqual({ maxPollingInterval: 2, batchSize: 16, maxDequeueCount: 5, visibilityTimeout: 30 });
    expect(result).toMatchObject({ poisoned: 1, lost: 0 });
    expect(stderr.match(/^warning: event .* could not be read through ARM .*; delivered again in 0 s \(attempt 1 of 2\)$/gm)).toHaveLength(1);
    expect(stderr).toMatch(/^error: event .*; after 2 attempts the message goes to kv-audit-events-poison$/m);
    expect(await queue.count()).toBe(0);
    expect(stdout).toContain('The timeline has played out and the queue is empty.');
  });
});
