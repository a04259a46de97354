import { z } from 'zod';
import type { ControlPolicy } from '../control/auditLogging.js';
import type { CentralExemption } from '../control/exemption.js';
import { guidPattern, isResourceIdOf, normalizeResourceId, parseResourceId } from '../control/resourceId.js';
import { KvAuditError } from '../errors.js';
import { parseExemptionList } from './exemptionList.js';
import { ncrontabProblem } from './ncrontab.js';
import { type ControlProfile, type ScanScope, controlProfiles } from '../findings/schema.js';

/*
 * Every setting the app reads, parsed from an env object passed in (never
 * process.env at import time). A bad configuration fails at start with one
 * message that names every bad setting.
 */

export interface IngestionTarget {
  /** The DCR's logs ingestion endpoint (or a DCE). */
  readonly endpoint: string;
  /** The DCR's immutable id, `dcr-…`. */
  readonly ruleId: string;
}

export interface Settings {
  readonly scope: ScanScope;
  readonly exemptionTag: string;
  /** Normalized resource ids; null when every destination is acceptable. */
  readonly approvedDestinations: ReadonlySet<string> | null;
  readonly remediationWorkspaceId: string | null;
  readonly armConcurrency: number;
  readonly ingestion: IngestionTarget | null;
  /** Where the scheduled scan keeps its state for the next one; null: every scan is full. */
  readonly stateUrl: string | null;
  /** The Log Analytics workspace the findings go to (resource id): asked whether the last scan's rows arrived. */
  readonly findingsWorkspaceId: string | null;
  /** A full scan at least this often; between, scheduled scans are incremental. */
  readonly fullScanIntervalHours: number;
  /** How far before the last scan's start the Activity Log is read again: it lags. */
  readonly activityLogOverlapMinutes: number;
  readonly profile: ControlProfile;
  /** Days audit logs must be kept; null: retention is evidence only. */
  readonly minRetentionDays: number | null;
  /** Query each destination workspace for the vaults' latest AuditEvent. */
  readonly verifyDelivery: boolean;
  /** The central exemption list. */
  readonly exemptions: readonly CentralExemption[];
  /** Whether the exemption tag may exempt a resource. */
  readonly tagExemptions: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

// Management group ids: up to 90 letters, digits, - _ ( ) . and not ending in a period.
const managementGroupId = /^[\w\-().]{0,89}[\w\-()]$/;
const isArmResourceId = (id: string) => parseResourceId(id)?.type != null;
const workspaceType = new Set(['microsoft.operationalinsights/workspaces']);
const isWorkspaceId = (id: string) => isResourceIdOf(id, workspaceType);
// Tag names may not contain < > % & \ ? / and are at most 512 characters.
const tagName = /^[^<>%&\\?/]{1,512}$/;

/** A comma-, semicolon- or whitespace-separated list; blanks and repeats dropped. */
function list(value: string): string[] {
  return [...new Set(value.split(/[\s,;]+/).filter((item) => item !== ''))];
}

function listOf(accepts: RegExp | ((item: string) => boolean), what: string) {
  const test = typeof accepts === 'function' ? accepts : (item: string) => accepts.test(item);
  return z
    .string()
    // "a,,b" or "," is a list with a hole, likely an unset variable: never read as fewer items, or as none.
    .refine((value) => value.split(/[,;]/).every((item) => item.trim() !== ''), { message: 'has an empty item', abort: true })
    .transform(list)
    .superRefine((items, ctx) => {
      for (const item of items) if (!test(item)) ctx.addIssue({ code: 'custom', message: `'${item}' is not ${what}` });
    });
}

/** No subscription, tenant or client has the all-zero id: it is always a placeholder. */
const nilGuid = '00000000-0000-0000-0000-000000000000';

export interface SettingDefinition {
  readonly name: string;
  readonly description: string;
  /** A realistic value for local.settings.sample.json and the README. */
  readonly example: string;
  /** The example stands in for the user's own value: used as configuration, it is refused. */
  readonly placeholder?: true;
}

/** Documented once; the README and local.settings.sample.json are checked against this list. */
export const settingDefinitions: readonly SettingDefinition[] = [
  {
    name: 'KV_AUDIT_SCHEDULE',
    description: 'NCRONTAB schedule of the timer function (six fields, seconds first). Required by the function; the deployment sets it (hourly by default).',
    example: '0 0 * * * *',
  },
  {
    name: 'KV_AUDIT_SUBSCRIPTIONS',
    description: 'Subscription ids to scan (comma-separated). Empty with no management groups: every subscription the identity can read.',
    example: '00000000-0000-0000-0000-000000000000',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_MANAGEMENT_GROUPS',
    description: 'Management group ids to scan instead of subscriptions (comma-separated).',
    example: '',
  },
  {
    name: 'KV_AUDIT_EXEMPTION_TAG',
    description: "Tag that exempts a resource; its value is the reason, optionally with 'until=YYYY-MM-DD'.",
    example: 'kv-audit-exempt',
  },
  {
    name: 'KV_AUDIT_APPROVED_DESTINATIONS',
    description: 'Workspace, storage account, event hub namespace or partner resource ids audit logs may go to (comma-separated). Empty: any existing destination.',
    example: '',
  },
  {
    name: 'KV_AUDIT_REMEDIATION_WORKSPACE_ID',
    description: 'Log Analytics workspace id written into remediation commands. Empty: a placeholder.',
    example: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_PROFILE',
    description: "default: any AuditEvent, audit or allLogs entry passes. cis: one setting with a usable destination must enable both the audit and allLogs groups (CIS Azure Foundations 6.1.1.4).",
    example: 'default',
  },
  {
    name: 'KV_AUDIT_MIN_RETENTION_DAYS',
    description: 'Days audit logs must be kept (1-4383, e.g. 365 for PCI DSS 4.0 10.5.1); shorter retention is a Fail (RetentionTooShort). Empty: retention is evidence only.',
    example: '',
  },
  {
    name: 'KV_AUDIT_VERIFY_DELIVERY',
    description: "true: one query per destination workspace a scan finds each vault's latest AuditEvent (needs Log Analytics Reader there). Default false.",
    example: 'false',
  },
  {
    name: 'KV_AUDIT_EXEMPTIONS',
    description: 'The central exemption list: a JSON array of {"scope", "reason", "expires": "YYYY-MM-DD", "approvedBy"}; scope is a resource, resource group or subscription id.',
    example: '[]',
  },
  {
    name: 'KV_AUDIT_TAG_EXEMPTIONS',
    description: 'on: the exemption tag exempts a resource (self-service); off: only the central list does, and tags are reported as ignored. Default on.',
    example: 'on',
  },
  {
    name: 'KV_AUDIT_ARM_CONCURRENCY',
    description: 'ARM diagnostic-settings reads in flight at once, across all subscriptions (1-1024). Default 512, enough to keep up with Resource Graph listing a million vaults at ARM latency; each subscription is also paced to its own ARM read budget.',
    example: '512',
  },
  {
    name: 'KV_AUDIT_LOGS_INGESTION_ENDPOINT',
    description: "The DCR's logs ingestion endpoint (https). Required by the timer function and 'kv-audit scan --ingest'.",
    example: 'https://dcr-kvaudit-abcd.westeurope-1.ingest.monitor.azure.com',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_DCR_IMMUTABLE_ID',
    description: "The DCR's immutable id. Required with the ingestion endpoint.",
    example: 'dcr-00000000000000000000000000000000',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_STATE_URL',
    description:
      "Blob (https URL) where the scheduled scan keeps what it learned for the next one; the deployment sets it. Empty: every scan is full.",
    example: 'https://stkvauditabcd.blob.core.windows.net/kv-audit-state/scan-state.txt',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_FINDINGS_WORKSPACE_ID',
    description:
      "Resource id of the Log Analytics workspace the findings go to; an incremental scan asks it whether the last scan's rows arrived. Empty: scheduled scans are full.",
    example: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-kv-audit/providers/Microsoft.OperationalInsights/workspaces/law-kv-audit',
    placeholder: true,
  },
  {
    name: 'KV_AUDIT_FULL_SCAN_INTERVAL_HOURS',
    description: 'A full scan at least this often (1-48 hours); scheduled scans between are incremental. Default 24.',
    example: '24',
  },
  {
    name: 'KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES',
    description: "How far before the last scan's start an incremental scan reads the Activity Log again, for its lag (0-1440 minutes). Default 30.",
    example: '30',
  },
  {
    name: 'AZURE_CLIENT_ID',
    description: 'Client id of a user-assigned managed identity, when the app uses one (read by @azure/identity).',
    example: '',
  },
];

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, `must be a whole number from ${min} to ${max}`)
    .transform(Number);

const optional = <T extends z.ZodType<unknown, string>>(schema: T) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(schema.optional());

const envSchema = z.object({
  KV_AUDIT_SCHEDULE: optional(
    z.string().superRefine((value, ctx) => {
      const problem = ncrontabProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ),
  KV_AUDIT_SUBSCRIPTIONS: optional(listOf(guidPattern, 'a subscription id (GUID)')),
  KV_AUDIT_MANAGEMENT_GROUPS: optional(listOf(managementGroupId, 'a management group id')),
  KV_AUDIT_EXEMPTION_TAG: optional(z.string().regex(tagName, 'must be a tag name: 1-512 characters, none of < > % & \\ ? /')),
  KV_AUDIT_APPROVED_DESTINATIONS: optional(listOf(isArmResourceId, 'a resource id (/subscriptions/…/resourceGroups/…/providers/…)')),
  KV_AUDIT_REMEDIATION_WORKSPACE_ID: optional(z.string().refine(isWorkspaceId, 'must be a Log Analytics workspace resource id')),
  KV_AUDIT_ARM_CONCURRENCY: optional(wholeNumber(1, 1024)),
  KV_AUDIT_LOGS_INGESTION_ENDPOINT: optional(
    z.url({ protocol: /^https$/, error: 'must be an https URL (the DCR logs ingestion endpoint)' }),
  ),
  KV_AUDIT_DCR_IMMUTABLE_ID: optional(z.string().regex(/^dcr-[0-9a-f]{32}$/i, 'must look like dcr-<32 hex digits>')),
  KV_AUDIT_STATE_URL: optional(z.url({ protocol: /^https$/, error: 'must be an https URL of a blob' })),
  KV_AUDIT_FINDINGS_WORKSPACE_ID: optional(z.string().refine(isWorkspaceId, 'must be a Log Analytics workspace resource id')),
  KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: optional(wholeNumber(1, 48)),
  KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: optional(wholeNumber(0, 1440)),
  KV_AUDIT_PROFILE: optional(z.enum(controlProfiles, `must be one of ${controlProfiles.join(', ')}`)),
  // 4,383 days (12 years) is the longest total retention Log Analytics offers: a longer minimum no workspace could meet.
  KV_AUDIT_MIN_RETENTION_DAYS: optional(
    z
      .string()
      .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 4383, 'must be a whole number of days from 1 to 4383')
      .transform(Number),
  ),
  KV_AUDIT_VERIFY_DELIVERY: optional(z.enum(['true', 'false'], 'must be true or false')),
  KV_AUDIT_EXEMPTIONS: optional(z.string()),
  KV_AUDIT_TAG_EXEMPTIONS: optional(z.enum(['on', 'off'], 'must be on or off')),
  AZURE_CLIENT_ID: optional(z.string().regex(guidPattern, 'must be a client id (GUID)')),
});

export interface LoadOptions {
  /** The timer and `scan --ingest` write to Log Analytics and need the DCR settings. */
  readonly requireIngestion: boolean;
  /** The timer's binding reads %KV_AUDIT_SCHEDULE%: without it the host cannot schedule the scan. */
  readonly requireSchedule?: boolean;
}

export function loadSettings(env: Env, options: LoadOptions): Settings {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const values = parsed.success ? parsed.data : null;
  const exemptionList = parseExemptionList(values?.KV_AUDIT_EXEMPTIONS ?? '[]');
  problems.push(...exemptionList.problems);

  if (values?.KV_AUDIT_SUBSCRIPTIONS?.length && values.KV_AUDIT_MANAGEMENT_GROUPS?.length) {
    problems.push('KV_AUDIT_SUBSCRIPTIONS, KV_AUDIT_MANAGEMENT_GROUPS: set one or the other, not both');
  }
  if (values && (values.KV_AUDIT_LOGS_INGESTION_ENDPOINT === undefined) !== (values.KV_AUDIT_DCR_IMMUTABLE_ID === undefined)) {
    problems.push('KV_AUDIT_LOGS_INGESTION_ENDPOINT, KV_AUDIT_DCR_IMMUTABLE_ID: set both or neither');
  }
  for (const definition of settingDefinitions) {
    const value = env[definition.name]?.trim();
    if (value && ((definition.placeholder && value === definition.example) || value.toLowerCase().includes(nilGuid))) {
      problems.push(`${definition.name}: '${value}' is a placeholder (as in local.settings.sample.json); put your own value, or leave it empty`);
    }
  }
  const missing = (name: string) => env[name] === undefined || env[name].trim() === '';
  if (options.requireIngestion) {
    for (const name of ['KV_AUDIT_LOGS_INGESTION_ENDPOINT', 'KV_AUDIT_DCR_IMMUTABLE_ID']) {
      if (missing(name)) problems.push(`${name}: required to write findings to Log Analytics`);
    }
  }
  if (options.requireSchedule && missing('KV_AUDIT_SCHEDULE')) {
    problems.push('KV_AUDIT_SCHEDULE: required by the timer function, e.g. "0 0 * * * *" for hourly');
  }
  if (problems.length > 0 || values === null) {
    throw new KvAuditError('InvalidConfiguration', `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, {
      details: [...new Set(problems)],
    });
  }

  const subscriptions = values.KV_AUDIT_SUBSCRIPTIONS ?? [];
  const managementGroups = values.KV_AUDIT_MANAGEMENT_GROUPS ?? [];
  const approved = values.KV_AUDIT_APPROVED_DESTINATIONS ?? [];
  return {
    scope:
      subscriptions.length > 0
        ? { Kind: 'Subscriptions', Ids: subscriptions.map((s) => s.toLowerCase()) }
        : managementGroups.length > 0
          ? { Kind: 'ManagementGroups', Ids: managementGroups }
          : { Kind: 'Tenant', Ids: [] },
    exemptionTag: values.KV_AUDIT_EXEMPTION_TAG ?? 'kv-audit-exempt',
    approvedDestinations: approved.length > 0 ? new Set(approved.map(normalizeResourceId)) : null,
    remediationWorkspaceId: values.KV_AUDIT_REMEDIATION_WORKSPACE_ID ?? null,
    armConcurrency: values.KV_AUDIT_ARM_CONCURRENCY ?? 512,
    stateUrl: values.KV_AUDIT_STATE_URL ?? null,
    findingsWorkspaceId: values.KV_AUDIT_FINDINGS_WORKSPACE_ID ?? null,
    fullScanIntervalHours: values.KV_AUDIT_FULL_SCAN_INTERVAL_HOURS ?? 24,
    activityLogOverlapMinutes: values.KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES ?? 30,
    ingestion:
      values.KV_AUDIT_LOGS_INGESTION_ENDPOINT && values.KV_AUDIT_DCR_IMMUTABLE_ID
        ? { endpoint: values.KV_AUDIT_LOGS_INGESTION_ENDPOINT, ruleId: values.KV_AUDIT_DCR_IMMUTABLE_ID }
        : null,
    profile: values.KV_AUDIT_PROFILE ?? 'default',
    minRetentionDays: values.KV_AUDIT_MIN_RETENTION_DAYS ?? null,
    verifyDelivery: values.KV_AUDIT_VERIFY_DELIVERY === 'true',
    exemptions: exemptionList.entries,
    tagExemptions: values.KV_AUDIT_TAG_EXEMPTIONS !== 'off',
  };
}

/** The part of the settings the control weighs. */
export function controlPolicyOf(settings: Settings): ControlPolicy {
  const { exemptionTag, approvedDestinations, remediationWorkspaceId, profile, minRetentionDays, exemptions, tagExemptions } = settings;
  return { exemptionTag, approvedDestinations, remediationWorkspaceId, profile, minRetentionDays, exemptions, tagExemptions };
}
