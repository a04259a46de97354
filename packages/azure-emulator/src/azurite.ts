import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Azurite, Microsoft's Azure Storage emulator (npm `azurite`), as the tests and the demo run it: one child process on
 * 127.0.0.1 with the blob and queue services on free ports (Azurite binds port 0 and prints the port it got), in-memory
 * persistence, telemetry off. It also starts its table service (the `azurite` command always does), on a free port
 * nobody uses. Its working directory is a temp folder of its own, removed on close with anything Azurite wrote there.
 */

/** Azurite's one account and its key: public, the same in every Azurite (Learn: "Use Azurite for local Azure Storage development"). */
export const azuriteAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const;

export interface Azurite {
  /** http://127.0.0.1:<port>/devstoreaccount1, the account's blob service. */
  readonly blobEndpoint: string;
  /** http://127.0.0.1:<port>/devstoreaccount1, the account's queue service. */
  readonly queueEndpoint: string;
  /** A connection string naming both endpoints and the account key, as `QueueClient`/`BlobServiceClient.fromConnectionString` take it. */
  readonly connectionString: string;
  /** Stops Azurite and removes its working folder; resolves once the process has exited. */
  close(): Promise<void>;
}

export interface AzuriteOptions {
  /** How long to wait for both services to listen. Default 30 s. */
  readonly startTimeoutMs?: number;
}

const listening = /Azurite (Blob|Queue) service is successfully listening at (http:\/\/\S+)/g;

function azuriteScript(): string {
  return createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
}

function stop(child: ChildProcess, workDir: string, onExit: () => void): Promise<void> {
  process.off('exit', onExit);
  const exited =
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // In memory, Azurite has nothing to flush; its graceful stop waits out every client's keep-alive (seconds).
  child.kill('SIGKILL');
  return exited.finally(() => rmSync(workDir, { recursive: true, force: true }));
}

/** Starts Azurite; rejects (leaving nothing behind) when it exits or does not listen within the timeout. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const workDir = mkdtempSync(join(tmpdir(), 'kv-audit-azurite-'));
  const args = [
    azuriteScript(),
    ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--queueHost', '127.0.0.1', '--queuePort', '0', '--tableHost', '127.0.0.1', '--tablePort', '0'],
    // Nothing on disk (Azurite refuses --location with it, so the working folder stays empty) and nothing sent anywhere.
    '--inMemoryPersistence',
    '--disableTelemetry',
    // The Storage SDKs move to a new service version before Azurite supports it; Azurite's own answer is this flag.
    '--skipApiVersionCheck',
  ];
  const child = spawn(process.execPath, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  // A test run that ends without close() (a crash, a forgotten close) still takes Azurite with it.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let output = '';
  const endpoints = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`)), options.startTimeoutMs ?? 30_000);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        child.stdout.off('data', onOutput);
        if (error) reject(error);
        else resolve();
      };
      const onOutput = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        for (const [, service = '', url = ''] of output.matchAll(listening)) endpoints.set(service, url);
        if (endpoints.size === 2) settle();
      };
      child.stdout.on('data', onOutput);
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', (error) => settle(error));
      child.once('exit', (code, signal) => settle(new Error(`Azurite exited (${signal ?? `code ${code}`}) before it listened:\n${output}`)));
    });
  } catch (error) {
    await stop(child, workDir, onExit);
    throw error;
  }
  // Past start-up, its output is not read: left unread, a full pipe would block it.
  child.stdout.resume();
  child.stderr.resume();
  const blobEndpoint = `${endpoints.get('Blob')}/${azuriteAccount.name}`;
  const queueEndpoint = `${endpoints.get('Queue')}/${azuriteAccount.name}`;
  let closing: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount.name};AccountKey=${azuriteAccount.key};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`,
    close: () => (closing ??= stop(child, workDir, onExit)),
  };
}
