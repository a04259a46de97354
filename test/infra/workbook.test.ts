import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type WorkbookParameter, renderWorkbookFile, workbookParameters, workbookQuery } from '../../src/workbook/workbook.js';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems, withWorkspaceFunctions } from '../support/kusto.js';
import { type WorkbookSelection, committedWorkbook, committedWorkbookText, expandParameters, workbookQueries } from '../support/workbook.js';
import { infraDir } from './bicepCli.js';

/*
 * The workbook is generated from the shipped query files and cannot drift from them: the committed file is what the
 * generator makes of infra/queries, every query in it is a shipped file with only its parameter lines rebound, and
 * every query binds with Microsoft's Kusto parser once the workbook has expanded its parameters. What the queries
 * return, as the workbook runs them, is in kqlLogic.test.ts; what the Bicep deploys, in workbookDeployment.test.ts.
 */

const shipped = new Map(
  readdirSync(join(infraDir, 'queries'))
    .filter((f) => f.endsWith('.kql'))
    .map((f) => [f, readFileSync(join(infraDir, 'queries', f), 'utf8')] as const),
);
const readShipped = (file: string) => {
  const text = shipped.get(file);
  if (text === undefined) throw new Error(`no query file ${file}`);
  return text;
};
const workbook = committedWorkbook();
const queries = workbookQueries(workbook);
const parameterNames = Object.keys(workbookParameters) as WorkbookParameter[];

describe('the committed workbook', () => {
  it('is what the generator makes of the query files (run `npm run generate` if not)', () => {
    expect(committedWorkbookText()).toBe(renderWorkbookFile(readShipped));
  });

  it('shows posture tiles, the trend, failures, new failures, expiring exemptions and scan health, in that order', () => {
    expect(workbook.items.filter((i) => i.type === 3).map((i) => [i.name, i.content.visualization])).toEqual([
      ['posture', 'tiles'],
      ['trend', 'timechart'],
      ['failures', 'barchart'],
      ['new-failures', 'table'],
      ['exemptions-expiring', 'table'],
      ['scan-health-summary', 'tiles'],
      ['scans', 'table'],
    ]);
  });

  it('runs every query against Log Analytics, with a title and a message for no data', () => {
    const items = workbook.items.filter((i) => i.type === 3);
    expect(items.map((i) => [i.content['queryType'], i.content['resourceType'], (i.content.title ?? '') !== '', (i.content.noDataMessage ?? '') !== ''])).toEqual(
      items.map(() => [0, 'microsoft.operationalinsights/workspaces', true, true]),
    );
  });

  it('takes a required time range, 30 days by default, and a required multi-select Subscription drop-down, All by default', () => {
    const parameters = workbook.items.find((i) => i.type === 9)?.content.parameters ?? [];
    expect(parameters).toEqual([
      expect.objectContaining({ name: 'TimeRange', type: 4, isRequired: true, value: { durationMs: 30 * 24 * 3600 * 1000 } }),
      expect.objectContaining({
        name: 'Subscription',
        type: 2,
        isRequired: true,
        multiSelect: true,
        quote: "'",
        delimiter: ',',
        value: ['value::all'],
        typeSettings: expect.objectContaining({ additionalResourceOptions: ['value::all'], selectAllValue: '*' }),
        queryType: 0,
      }),
    ]);
  });
});

describe('every query of the workbook', () => {
  it('is listed: the seven parts and the Subscription choices', () => {
    expect(queries.map((q) => q.name)).toHaveLength(8);
  });

  it.each(queries.map((q) => [q.name, q.query] as const))('%s is one shipped query file, only its parameter lines rebound', (_, query) => {
    const parameters = parameterNames.filter((p) => query.includes(workbookParameters[p].workbook));
    const sources = [...shipped].filter(([file, text]) => {
      try {
        return workbookQuery(file, text, parameters) === query;
      } catch {
        return false;
      }
    });
    expect(sources.map(([file]) => file)).toHaveLength(1);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s is bound to the time range exactly when it reads it', (_, { query, timeBound }) => {
    expect(timeBound).toBe(query.includes(workbookParameters.lookback.workbook));
  });

  const selections: [string, WorkbookSelection][] = [
    ['All subscriptions, the last 30 days', { subscriptions: 'all', start: new Date('2026-10-23T12:30:00Z'), end: new Date('2026-11-22T12:30:00Z') }],
    [
      'two subscriptions, a custom range',
      { subscriptions: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'], start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-08T00:00:00Z') },
    ],
  ];
  it.each(queries.flatMap((q) => selections.map(([selection, values]) => [q.name, selection, q.query, values] as const)))(
    '%s, for %s, binds against the workspace tables as the workbook sends it',
    (_name, _selection, query, values) => {
      expect(kqlProblems(withWorkspaceFunctions(expandParameters(query, values)), [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema])).toEqual([]);
    },
  );
});

describe('rebinding a parameter line', () => {
  const posture = readShipped('posture-by-status.kql');

  it('replaces that one line and nothing else', () => {
    const rebound = workbookQuery('posture-by-status.kql', posture, ['subscriptions']);
    expect(rebound.split('\n').filter((line, i) => line !== posture.split('\n')[i])).toEqual([
      "let subscriptions = dynamic([{Subscription}]); // subscription ids to count; '*': all",
    ]);
  });

  it.each([
    ['a file without the line', 'scan-health.kql', readShipped('scan-health.kql'), 'subscriptions', /scan-health\.kql: it must declare its subscriptions parameter on exactly one line .* it has 0$/],
    ['a file with the line twice', 'posture-by-status.kql', `let lookback = 1d;\nlet lookback = 2d;\n${posture}`, 'lookback', /posture-by-status\.kql: it must declare its lookback parameter .* it has 2$/],
  ] as const)('refuses %s, naming the file and the parameter', (_, file, text, parameter, message) => {
    expect(() => workbookQuery(file, text, [parameter])).toThrow(message);
  });
});
