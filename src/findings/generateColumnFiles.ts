/**
 * Entry script (`npm run generate`): writes the column files infra/ loads with
 * loadJsonContent. The drift test fails when they no longer match the schema.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { columnFilePath, renderColumnFile } from './columns.js';
import { tables } from './schema.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
for (const table of tables) {
  const path = resolve(repoRoot, columnFilePath(table));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderColumnFile(table));
  console.log(`wrote ${columnFilePath(table)}`);
}
