import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type EmulatorOptions as PackageEmulatorOptions, type StreamDeclaration, startEmulator as startPackageEmulator } from '@kv-audit/azure-emulator';
import { columnFilePath } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';

/** The local Azure emulator as the scanner's tests use it: its DCR declares exactly the streams the Bicep deploys. */

export * from '@kv-audit/azure-emulator';

/** The repository root: the nearest folder up holding infra/ (this file also runs compiled, from .bench-build/). */
function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(resolve(dir, 'infra', 'generated'))) return dir;
  throw new Error(`no infra/generated above ${from}`);
}
const repoRoot = repositoryRoot(import.meta.dirname);

/** infra/generated/*.columns.json, which the DCR's Bicep loads. */
export const deployedStreams: readonly StreamDeclaration[] = tables.map(
  (table) => JSON.parse(readFileSync(resolve(repoRoot, columnFilePath(table)), 'utf8')) as StreamDeclaration,
);

/** The emulator's options, its streams always the deployed ones. */
export type EmulatorOptions = Omit<PackageEmulatorOptions, 'streams'>;

export const startEmulator = (options: EmulatorOptions) => startPackageEmulator({ streams: deployedStreams, ...options });
