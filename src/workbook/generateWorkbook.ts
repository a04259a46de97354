/**
 * Entry script (`npm run generate`): writes the workbook infra/modules/workbook.bicep loads, from the query files under
 * infra/queries. The drift test fails when the committed file no longer matches them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderWorkbookFile, workbookFilePath } from './workbook.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
writeFileSync(resolve(repoRoot, workbookFilePath), renderWorkbookFile((file) => readFileSync(resolve(repoRoot, 'infra', 'queries', file), 'utf8')));
console.log(`wrote ${workbookFilePath}`);
