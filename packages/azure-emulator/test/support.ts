import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { MonitorClient } from '@azure/arm-monitor';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { type Emulator, type EmulatorOptions, type StreamDeclaration, emulatorCredential, startEmulator } from '../src/index.js';

/** The DCR's streams as the deployment declares them: the repository's generated column files. */
export const deployedStreams: readonly StreamDeclaration[] = ['KeyVaultAuditFindings_CL', 'KeyVaultAuditScans_CL'].map(
  (table) => JSON.parse(readFileSync(new URL(`../../../infra/generated/${table}.columns.json`, import.meta.url), 'utf8')) as StreamDeclaration,
);
export const findingsStream = 'Custom-KeyVaultAuditFindings';
export const scansStream = 'Custom-KeyVaultAuditScans';

/** An emulator whose DCR declares the deployed streams. */
export const startTestEmulator = (options: Omit<EmulatorOptions, 'streams'>) => startEmulator({ streams: deployedStreams, ...options });

/** What `action` throws, for asserting on an error's fields; fails the test when it does not throw. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The project's real SDK clients, pointed at an emulator. No retries: tests see each answer as sent. */
export function sdkClients(emulator: Emulator, maxRetries = 0) {
  const common = { tlsOptions: { ca: emulator.certificatePem }, retryOptions: { maxRetries, retryDelayInMs: 1 } };
  return {
    resourceGraph: new ResourceGraphClient(emulatorCredential, { endpoint: emulator.url, ...common }),
    monitor: new MonitorClient(emulatorCredential, { endpoint: emulator.url, ...common }),
    ingestion: new LogsIngestionClient(emulator.url, emulatorCredential, common),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request no SDK client would send (no bearer, no gzip, an old api-version…). */
export function rawRequest(
  emulator: Emulator,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${emulator.url}${options.path}`,
      { method: options.method, headers: options.headers, ca: emulator.certificatePem },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const bearer = { authorization: 'Bearer test-token' };

export function gzipJson(value: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(value)));
}

/** The statusCode, code and details of a rejected SDK call (a RestError). */
export async function restError(promise: Promise<unknown>): Promise<{ statusCode: unknown; code: unknown; details: unknown; headers: unknown }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { statusCode?: unknown; code?: unknown; details?: unknown; response?: { headers?: { get(name: string): string | undefined } } };
    return { statusCode: e.statusCode, code: e.code, details: e.details, headers: e.response?.headers };
  }
  throw new Error('expected the call to fail');
}

/** A MonitorClient for one subscription, as the Activity Log list needs it. No retries: tests see each answer as sent. */
export function activityLogClient(emulator: Emulator, subscriptionId: string) {
  return new MonitorClient(emulatorCredential, subscriptionId, {
    endpoint: emulator.url,
    tlsOptions: { ca: emulator.certificatePem },
    retryOptions: { maxRetries: 0, retryDelayInMs: 1 },
  });
}

/** A test's own clock: the emulator reads it, the test moves it. */
export function manualClock(startIso = '2030-01-01T00:00:00Z') {
  let nowMs = Date.parse(startIso);
  return {
    now: () => nowMs,
    advance: (ms: number) => void (nowMs += ms),
  };
}
