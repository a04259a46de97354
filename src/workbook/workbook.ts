/**
 * The Azure Monitor workbook infra/modules/workbook.bicep deploys, generated from the shipped query files (one source:
 * `npm run generate` writes it, test/infra/workbook.test.ts fails when it drifts). The format is "Notebook/1.0", as in
 * Microsoft's workbook gallery (microsoft/Application-Insights-Workbooks: schema/workbook.json, and the Key Vault
 * workbooks under Workbooks/KeyVault): items of type 1 (markdown), 3 (a query, `queryType` 0 = Log Analytics) and 9
 * (parameters: type 4 a time range picker, type 2 a drop-down).
 *
 * Parameters reach a query without forking its text: a query file takes a parameter on one `let` line with a safe
 * default (what the query pack runs), and the workbook rebinds that line and nothing else, as the alert rules rebind
 * their windows (infra/modules/alerts.bicep).
 */

/** Where the generated workbook lives: the Bicep loads it with loadJsonContent. */
export const workbookFilePath = 'infra/generated/kv-audit-monitor.workbook.json';

/**
 * The `let` lines a query file may take a workbook parameter on, and what the workbook binds them to.
 * - `subscriptions`: the Subscription drop-down, multi-select, each value quoted '…' and comma-separated, "All"
 *   given as '*' (the drop-down's selectAllValue; Documentation/Parameters/DropDown.md, "Special casing All").
 * - `lookback`: the TimeRange picker's start. `{TimeRange:start}` expands to a datetime in KQL (Microsoft's own
 *   workbooks write `startofday({TimeRange:start})`, `{TimeRange:end} - {TimeRange:start}`), so now() less it is the
 *   range's length back from now, and `ago(lookback)` is its start. The query is also bound to the time range
 *   (`timeContextFromParameter`), which applies the end of a custom range.
 */
export const workbookParameters = {
  subscriptions: { shipped: /^let subscriptions = dynamic\(\['\*'\]\);/m, workbook: 'let subscriptions = dynamic([{Subscription}]);' },
  lookback: { shipped: /^let lookback = \d+[dhm];/m, workbook: 'let lookback = now() - {TimeRange:start};' },
} as const;
export type WorkbookParameter = keyof typeof workbookParameters;

/** A query file's text as the workbook runs it: each parameter's `let` line rebound, the rest as shipped. */
export function workbookQuery(file: string, text: string, parameters: readonly WorkbookParameter[]): string {
  return parameters.reduce((query, parameter) => {
    const { shipped, workbook } = workbookParameters[parameter];
    const lines = query.match(new RegExp(shipped.source, 'gm')) ?? [];
    if (lines.length !== 1) {
      throw new Error(`Workbook query ${file}: it must declare its ${parameter} parameter on exactly one line matching ${shipped.source}; it has ${lines.length}`);
    }
    return query.replace(shipped, workbook);
  }, text);
}

type Visualization = 'tiles' | 'timechart' | 'barchart' | 'table';

/** A query item of the workbook: which file it runs, with which parameters, and how it shows the result. */
export interface WorkbookPart {
  readonly name: string;
  readonly file: string;
  readonly parameters: readonly WorkbookParameter[];
  readonly title: string;
  readonly visualization: Visualization;
  readonly noDataMessage: string;
  readonly width?: number;
  readonly settings?: Record<string, unknown>;
}

const workspaceQuery = { queryType: 0, resourceType: 'microsoft.operationalinsights/workspaces' } as const;
/**
 * A query bound to the time range: the workbook passes the range to Log Analytics with the query, which intersects it
 * with the query's own time filter (Documentation/Parameters/Parameters.md, "Via Bindings"). The other queries carry
 * no time context, as Microsoft's workbooks store a query that sets its time span in its text.
 */
const timeBound = { timeContext: { durationMs: 0 }, timeContextFromParameter: 'TimeRange' } as const;

const hidden = (columnMatch: string) => ({ columnMatch, formatter: 5 });
const text = (columnMatch: string) => ({ columnMatch, formatter: 1 });
/** Formatter 18 (thresholds), coloured by value. */
const coloured = (columnMatch: string, colours: Readonly<Record<string, string>>) => ({
  columnMatch,
  formatter: 18,
  formatOptions: {
    thresholdsOptions: 'colors',
    thresholdsGrid: [
      ...Object.entries(colours).map(([value, representation]) => ({ operator: '==', thresholdValue: value, representation, text: '{0}{1}' })),
      { operator: 'Default', thresholdValue: null, representation: 'gray', text: '{0}{1}' },
    ],
  },
});

/** Status colours, as the HTML report uses them. */
export const statusColours = { Fail: 'redBright', Error: 'orange', Exempt: 'blue', Pass: 'green' } as const;

export const workbookParts: readonly WorkbookPart[] = [
  {
    name: 'posture',
    file: 'posture-by-status.kql',
    parameters: ['subscriptions'],
    title: "Posture now: Key Vaults and Managed HSMs by status (each one's latest finding)",
    visualization: 'tiles',
    noDataMessage: 'No finding in the last day: has a scan run? See scan health below.',
    settings: {
      tileSettings: {
        titleContent: coloured('Status', statusColours),
        leftContent: { columnMatch: 'Resources', formatter: 12, formatOptions: { palette: 'none' } },
        rightContent: { columnMatch: 'Percent', formatter: 1, numberFormat: { unit: 1, options: { style: 'decimal', maximumFractionDigits: 1 } } },
        showBorder: true,
        size: 'auto',
      },
    },
  },
  {
    name: 'trend',
    file: 'fail-trend-by-day.kql',
    // Its counts are the scans' own, over the whole scope: the subscription filter does not apply.
    parameters: ['lookback'],
    title: "Trend: resources by status at the end of each day (the scans' own counts, whole scope)",
    visualization: 'timechart',
    noDataMessage: 'No scheduled scan in the time range.',
    width: 50,
    settings: {
      chartSettings: {
        xAxis: 'Day',
        yAxis: ['Failing', 'Errors', 'Exempt', 'Passing'],
        showLegend: true,
        seriesLabelSettings: [
          { seriesName: 'Failing', color: statusColours.Fail },
          { seriesName: 'Errors', color: statusColours.Error },
          { seriesName: 'Exempt', color: statusColours.Exempt },
          { seriesName: 'Passing', color: statusColours.Pass },
        ],
      },
    },
  },
  {
    name: 'failures',
    file: 'failures-by-subscription-and-reason.kql',
    parameters: ['subscriptions'],
    title: 'Failing now, by subscription and reason',
    visualization: 'barchart',
    noDataMessage: 'Nothing fails.',
    width: 50,
    settings: { chartSettings: { xAxis: 'SubscriptionId', yAxis: ['FailingResources'], group: 'Reason', showLegend: true } },
  },
  {
    name: 'new-failures',
    file: 'new-failures.kql',
    parameters: ['subscriptions'],
    title: 'New failures since the previous scheduled scan (what the new-failure alert raised)',
    visualization: 'table',
    noDataMessage: 'No resource started failing in the latest scheduled scan.',
    settings: { gridSettings: { formatters: [hidden('ResourceId')], filter: true } },
  },
  {
    name: 'exemptions-expiring',
    file: 'exemptions-expiring.kql',
    parameters: ['subscriptions'],
    title: 'Exemptions that expire within 30 days',
    visualization: 'table',
    noDataMessage: 'No exemption expires within 30 days.',
    settings: { gridSettings: { formatters: [hidden('ResourceId')], filter: true } },
  },
  {
    name: 'scan-health-summary',
    file: 'scan-health-summary.kql',
    parameters: ['lookback'],
    title: 'Scan health (every subscription: a scan covers its whole scope)',
    visualization: 'tiles',
    noDataMessage: 'No scan in the time range.',
    settings: {
      tileSettings: {
        titleContent: text('Indicator'),
        leftContent: { columnMatch: 'Value', formatter: 1 },
        subtitleContent: text('Detail'),
        rightContent: coloured('State', { OK: 'green', Check: 'redBright' }),
        showBorder: true,
        size: 'auto',
      },
    },
  },
  {
    name: 'scans',
    file: 'scan-health.kql',
    parameters: ['lookback'],
    title: 'Scans, newest first',
    visualization: 'table',
    noDataMessage: 'No scan in the time range.',
    settings: {
      gridSettings: {
        formatters: ['ScanId', 'InventoryComplete', 'PassCount', 'ExemptCount', 'ArgQueries', 'ArmCalls', 'ArmThrottled', 'Scope', 'Version'].map(hidden),
        filter: true,
      },
    },
  },
];

/** The Subscription drop-down's choices: subscriptions with findings in the time range. */
export const subscriptionChoices = { file: 'subscriptions-with-findings.kql', parameters: ['lookback'] } as const satisfies Pick<WorkbookPart, 'file' | 'parameters'>;

const timeRangeChoicesInDays = [1, 7, 14, 30, 60, 90];
const day = 24 * 60 * 60 * 1000;

const introduction = [
  '## Key Vault audit logging',
  'Whether every Key Vault and Managed HSM ships its `AuditEvent` log, from the findings kv-audit-monitor writes to this workspace ' +
    '(`KeyVaultAuditFindings_CL`, `KeyVaultAuditScans_CL`). Posture, failures, new failures and exemptions show the current state; ' +
    'the **time range** applies to the trend and to scan health. **Subscriptions** narrows everything but the trend and scan health.',
  'Every query is a file of the project (`infra/queries/`), also in the query pack: see docs/operations.md, "Workbook".',
].join('\n\n');

/** The workbook as the Bicep deploys it, less `fallbackResourceIds` (the workspace), which the Bicep adds. */
export function renderWorkbook(readQuery: (file: string) => string): Record<string, unknown> {
  const query = (part: Pick<WorkbookPart, 'file' | 'parameters'>) => workbookQuery(part.file, readQuery(part.file), part.parameters);
  return {
    version: 'Notebook/1.0',
    items: [
      { type: 1, content: { json: introduction }, name: 'introduction' },
      {
        type: 9,
        content: {
          version: 'KqlParameterItem/1.0',
          parameters: [
            {
              id: 'a5b7e0f6-5c3e-4d0b-9a55-2f1d3f6c8e01',
              version: 'KqlParameterItem/1.0',
              name: 'TimeRange',
              label: 'Time range',
              type: 4,
              isRequired: true,
              description: 'The span of the trend and of scan health; the other parts show the current state.',
              typeSettings: { selectableValues: timeRangeChoicesInDays.map((days) => ({ durationMs: days * day })), allowCustom: true },
              value: { durationMs: 30 * day },
            },
            {
              id: 'a5b7e0f6-5c3e-4d0b-9a55-2f1d3f6c8e02',
              version: 'KqlParameterItem/1.0',
              name: 'Subscription',
              label: 'Subscriptions',
              type: 2,
              isRequired: true,
              multiSelect: true,
              quote: "'",
              delimiter: ',',
              description: 'Subscriptions with findings in the time range. All: every subscription, listed or not.',
              query: query(subscriptionChoices),
              typeSettings: { additionalResourceOptions: ['value::all'], selectAllValue: '*', showDefault: false },
              value: ['value::all'],
              ...timeBound,
              ...workspaceQuery,
            },
          ],
          style: 'pills',
          ...workspaceQuery,
        },
        name: 'parameters',
      },
      ...workbookParts.map((part) => ({
        type: 3,
        content: {
          version: 'KqlItem/1.0',
          query: query(part),
          // 3 (tiny) for tiles, as Microsoft's Key Vault workbook sizes its status tiles; 0 (medium) otherwise.
          size: part.visualization === 'tiles' ? 3 : 0,
          title: part.title,
          noDataMessage: part.noDataMessage,
          ...(part.parameters.includes('lookback') ? timeBound : {}),
          ...workspaceQuery,
          visualization: part.visualization,
          ...part.settings,
        },
        ...(part.width === undefined ? {} : { customWidth: String(part.width) }),
        name: part.name,
      })),
    ],
    $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json',
  };
}

/** The generated file's text: what `npm run generate` writes and the drift test compares. */
export function renderWorkbookFile(readQuery: (file: string) => string): string {
  return `${JSON.stringify(renderWorkbook(readQuery), null, 2)}\n`;
}
