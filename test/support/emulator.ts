import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type EmulatorOptions as PackageEmulatorOptions, type StreamDeclaration, startEmulator as startPackageEmulator } from '@kv-audit/azure-emulator';
import { columnFilePath } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';

/** The local Azure emulator as the scanner's tests use it: its DCR declares exactly the streams the Bicep deploys. */

export * from '@kv-audit/azure-emulator';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** infra/generated/*.columns.json, which the DCR's Bicep loads. */
export const deployedStreams: readonly StreamDeclaration[] = tables.map(
  (table) => JSON.parse(readFileSync(resolve(repoRoot, columnFilePath(table)), 'utf8')) as StreamDeclaration,
);

/** The emulator's options, its streams always the deployed ones. */
export type EmulatorOptions = Omit<PackageEmulatorOptions, 'streams'>;

export const startEmulator = (options: EmulatorOptions) => startPackageEmulator({ streams: deployedStreams, ...options });
