import { settingDefinitions } from '../config/settings.js';
import type { HelpTopic } from './args.js';
import { fixRoles } from './fix.js';
import { ocsfSchemaVersion } from './reports/ocsf.js';

/** The process exit codes, one meaning each, so scripts can tell "not signed in" from "scan incomplete". */
export const exitCodes = { complete: 0, incomplete: 1, usage: 2, notSignedIn: 3, noAccess: 4 } as const;

const exitCodesHelp = `Exit codes:
  ${exitCodes.complete}  the scan completed: every resource evaluated (and, where rows are written, every row written)
  ${exitCodes.incomplete}  the scan is incomplete or failed (the reasons are printed)
  ${exitCodes.usage}  invalid arguments, configuration or estate: nothing was scanned
  ${exitCodes.notSignedIn}  not signed in: no credential could get a token for Azure Resource Manager
  ${exitCodes.noAccess}  signed in, but the identity can read nothing in scope (it needs Reader)`;

/** The -o formats, indented to the option descriptions of each help text. */
const outputHelp = (indent: number) =>
  [
    'table    a readable summary (the default)',
    'json     {scan, findings}',
    'ndjson   one finding per line',
    "csv      one row per finding, the findings table's columns (RFC 4180; a cell a",
    "         spreadsheet would run as a formula is prefixed with ')",
    'html     one self-contained page for auditors: summary, chart, sortable and',
    '         filterable findings with their evidence; it loads nothing from anywhere',
    `ocsf     one OCSF ${ocsfSchemaVersion} Compliance Finding (class 2003) per line, for a SIEM`,
  ]
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');

export const generalHelp = `kv-audit — is every Key Vault and Managed HSM's audit log really shipped somewhere?

Usage:
  kv-audit scan [options]   scan your Azure estate with your az login
  kv-audit demo [options]   scan a sample estate on a local Azure emulator (no Azure account)
  kv-audit fix [options]    plan, or with --apply add, the diagnostic setting each failing vault needs
  kv-audit help <command>   details of a command
  kv-audit --version

${exitCodesHelp}`;

export const scanHelp = `kv-audit scan — evaluate "audit logging delivered" for every vault and Managed HSM in scope

Usage:
  kv-audit scan [--subscription ID]... [--management-group ID]... [-o FORMAT] [--out FILE] [--ingest]

Options:
  -s, --subscription ID        subscription to scan; repeat or comma-separate (overrides KV_AUDIT_SUBSCRIPTIONS)
  -m, --management-group ID    management group to scan instead (overrides KV_AUDIT_MANAGEMENT_GROUPS)
                               with neither: every subscription your identity can read
  -o, --output FORMAT          what goes to stdout (progress always goes to stderr):
${outputHelp(31)}
      --out FILE               also write the findings as NDJSON (one row per line, findings table columns),
                               whatever -o is; to keep a report, redirect stdout: -o html > report.html
      --ingest                 also write findings, then the scan row, to Log Analytics through the DCR
                               (needs KV_AUDIT_LOGS_INGESTION_ENDPOINT and KV_AUDIT_DCR_IMMUTABLE_ID; your identity
                               needs Monitoring Metrics Publisher on the DCR)
      --state FILE             keep what this scan learned in FILE, and build on what an earlier one left there:
                               read through ARM only the vaults that may have changed (new ones, those the Activity
                               Log names, changed tags, destinations that came or went, failed reads) and write only
                               findings that changed, with a Removed row for each vault that left the scope. A full
                               scan runs instead when FILE holds no state, the scope or settings changed, or one is
                               due (KV_AUDIT_FULL_SCAN_INTERVAL_HOURS)
      --since TIME             with --state: read the Activity Log from TIME (e.g. 2026-12-07T09:00:00Z) instead of
                               the earlier scan's start
      --verbose                say why each credential failed when none can sign in
  -h, --help                   this help

Real Azure:
  Sign in first with 'az login' (or any source DefaultAzureCredential accepts: environment variables, managed
  identity, Azure Developer CLI, VS Code). The identity needs Reader on the scope: Reader includes
  Microsoft.Insights/diagnosticSettings/read. Reader on the subscriptions that hold your log workspaces, storage
  accounts and event hubs lets the scan confirm those destinations exist; without it they are reported Unverified.
  Resource Graph finds the vaults, every vault's diagnostic settings are read through ARM, and nothing is changed.

Settings read from the environment:
${settingDefinitions.map((d) => `  ${d.name.padEnd(34)} ${d.description}`).join('\n')}

Examples:
  az login
  kv-audit scan -s <subscription id>
  kv-audit scan -m mg-platform -o ndjson > findings.ndjson
  kv-audit scan -o html > kv-audit-report.html
  KV_AUDIT_APPROVED_DESTINATIONS=/subscriptions/…/workspaces/law-central kv-audit scan --out findings.ndjson

${exitCodesHelp}`;

export const demoHelp = `kv-audit demo — the real scan, through the real Azure SDK clients, against a local HTTPS Azure emulator

Usage:
  kv-audit demo [--estate FILE] [--out FILE] [-o FORMAT] [--faults SPEC] [--seed N] [--fix | --watch]

Options:
      --estate FILE     estate JSON: { "resources": [...], "diagnosticSettings": [...], "denied": [...],
                        "resourceGraphIndexesDiagnosticSettings": false } (default: the built-in sample estate,
                        which exercises every status and reason); settings come from the environment. Optional
                        fields reproduce Azure's behaviours: unavailable, deletedAfterInventory, notInResourceGraph,
                        changesDuringScan, armThrottling, providerThrottling, resourceGraphSubscriptionLimit,
                        subscriptionNames, subscriptions, managementGroups, tenantId, diagnosticSettingsPageSize,
                        timeline (timed changes, which reach the Activity Log and Event Grid),
                        activityLogDelaySeconds, activityLogPageSize (docs/emulator.md)
      --out FILE        where the findings NDJSON goes (default .kv-audit/demo-findings.ndjson): the rows the
                        emulated Logs Ingestion API accepted
  -o, --output FORMAT   what goes to stdout (progress always goes to stderr):
${outputHelp(24)}
      --faults SPEC     inject faults: service:outcome@probability[~subscription], comma-separated, e.g.
                        "arg:429@0.3,arm:500@0.2,arm:reset@0.05,ingest:429@0.2,latency:arm=200ms"
                        services arg, arm, ingest, events; outcomes 429 500 502 503 504, 429ra and 503ra (with
                        Retry-After: 1), reset (the connection drops), rpthrottle (arm: Microsoft.Insights throttles
                        a region), drop (ingest: 204, nothing kept; events: never delivered), notoken (arg: a page
                        without its $skipToken), duprow (arg: a row listed twice), dup (events: delivered twice),
                        reorder (events: delivered after the next one); ~<subscription> scopes an arm fault;
                        latency:events=<n>ms delays every Event Grid delivery
      --seed N          seed for the fault decisions (default 1): the same seed gives the same run
      --fix             then run 'kv-audit fix --apply' against the emulator (to the sample's remediation
                        workspace) and scan again: failing vaults go from Fail to Pass
      --watch           then play the estate's timeline (the built-in one: a setting deleted and put back, a new
                        vault, a workspace deleted; about 25 s) with Event Grid delivering each change to a queue
                        in Azurite, and print each event with the finding the event path wrote and how many
                        seconds after the change; ends when the timeline is over and the queue empty (Ctrl+C
                        stops sooner). Events lost on the way (--faults events:drop@…) are then caught by the
                        next scheduled scan, run at once from the Activity Log
  -h, --help            this help

${exitCodesHelp}`;

export const fixHelp = `kv-audit fix — add the diagnostic setting each failing vault and Managed HSM needs

Usage:
  kv-audit fix [--workspace ID] [--apply] [--subscription ID]... [--management-group ID]... [-o table|json]

What it does:
  Scans the scope (nothing is written to Log Analytics), then, for every resource that fails, plans one new
  diagnostic setting: the profile's audit category groups (KV_AUDIT_PROFILE: default audit; cis audit and
  allLogs) to the workspace, resource-specific (AZKVAuditLogs), named kv-audit-logs (or -2 … -5 if taken).
  Without --apply nothing changes. With --apply each setting is created through ARM, one result per resource.
  It never modifies or deletes a setting: a resource that already has 5 settings (Azure's limit), or a setting
  sending to the workspace (Azure refuses the same category twice to one destination), is skipped and said so.
  Running it again adds nothing twice: a fixed resource passes, and a skipped one says why again.

Options:
      --workspace ID           the Log Analytics workspace the settings send to (default:
                               KV_AUDIT_REMEDIATION_WORKSPACE_ID); it must exist, be approved when
                               KV_AUDIT_APPROVED_DESTINATIONS is set, and keep logs KV_AUDIT_MIN_RETENTION_DAYS
      --apply                  create the settings (default: print the plan only)
  -s, --subscription ID        limit the scope (as kv-audit scan)
  -m, --management-group ID    limit the scope to management groups
  -o, --output FORMAT          table (default) or json
  -h, --help                   this help

Permissions:
  It runs as you (az login), never as the monitor's identity, which stays read-only. --apply needs
  ${fixRoles}. Without it each resource's result says so, and the exit code is 1.

${exitCodesHelp}`;

/** The help text of a topic, or the general one. */
export function helpFor(topic: HelpTopic | null): string {
  switch (topic) {
    case 'scan':
      return scanHelp;
    case 'demo':
      return demoHelp;
    case 'fix':
      return fixHelp;
    case null:
      return generalHelp;
  }
}
