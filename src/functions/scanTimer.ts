import { type InvocationContext, type Timer, app } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConnection } from '../azure/clients.js';
import { BlockBlobClient } from '@azure/storage-blob';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { type StateStore, blobStateStore } from '../state/stateStore.js';
import { KvAuditError } from '../errors.js';
import { runScan, scanSucceeded } from '../scan/runScan.js';
import { scanDependencies } from '../scan/scanDependencies.js';
import { progressLog, summaryLine } from '../scan/summary.js';

/*
 * The timer entry point: load config, run the scan, log a summary. An
 * incomplete scan fails the invocation so the retry policy runs it again.
 */

/** host.json's functionTimeout is 30 minutes: reading stops at 20 so findings and the scan row are still written. */
const readBudgetMs = 20 * 60_000;
/** A large scan says where it is once a minute in the function's log. */
const progressLogIntervalMs = 60_000;

export interface TimerEnvironment {
  readonly env: Env;
  readonly connection: AzureConnection;
  /** Where the scan keeps its state for the next one (KV_AUDIT_STATE_URL); null: every scan is full. */
  readonly stateStore: (settings: Settings) => StateStore | null;
}

/** The settings the timer runs with: every problem at once, the schedule and the DCR included. */
export const loadTimerSettings = (env: Env) => loadSettings(env, { requireIngestion: true, requireSchedule: true });

export function createScanTimerHandler(environment: () => TimerEnvironment) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    if (timer.isPastDue) context.warn('The scan timer is past due: the previous run overran or the app was down.');
    const { env, connection, stateStore } = environment();
    const settings = loadTimerSettings(env);
    const store = stateStore(settings);
    const loaded = store ? await store.load() : null;
    if (loaded?.problem) context.warn(`${loaded.problem}; this scan is full.`);
    const result = await runScan(
      settings,
      'Timer',
      scanDependencies(connection, settings, {
        ingest: true,
        log: { info: (m) => context.log(m), warn: (m) => context.warn(m) },
        onProgress: progressLog((line) => context.log(line), progressLogIntervalMs),
        readBudgetMs,
        ...(store ? { previous: loaded?.state ?? null } : {}),
      }),
    );
    const { scan, scanRowWritten } = result;
    context.log(summaryLine(scan));
    if (store && result.state) {
      const { problem } = await store.save(result.state);
      // The state last saved stays: the next scan builds on it (its Activity Log window is wider) or is full.
      if (problem) context.warn(`${problem}; the next scan builds on the state last saved, if any.`);
    }
    if (!scanSucceeded(result)) {
      throw new KvAuditError('ScanIncomplete', `Scan ${scan.ScanId} is incomplete; the invocation fails so it is retried`, {
        details: scanRowWritten === false ? [...scan.Errors, 'the scan row could not be written'] : scan.Errors,
      });
    }
  };
}

// Credentials are made per invocation, never at import time.
const kvAuditScanTimer = createScanTimerHandler(() => {
  const credential = new DefaultAzureCredential();
  return {
    env: process.env,
    connection: { credential },
    stateStore: (settings) => (settings.stateUrl ? blobStateStore(new BlockBlobClient(settings.stateUrl, credential)) : null),
  };
});

// A bad configuration fails the app as it starts, not at the first tick of the schedule.
app.hook.appStart(() => {
  loadTimerSettings(process.env);
});

app.timer('kvAuditScan', {
  schedule: '%KV_AUDIT_SCHEDULE%',
  runOnStartup: false,
  useMonitor: true,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 3, minimumInterval: { minutes: 1 }, maximumInterval: { minutes: 10 } },
  handler: kvAuditScanTimer,
});
