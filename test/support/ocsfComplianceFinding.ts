import { z } from 'zod';

/*
 * OCSF 1.8.0 "Compliance Finding" (class_uid 2003), encoded by hand from the schema's published definition:
 * github.com/ocsf/ocsf-schema at tag 1.8.0 (commit 6fa6499a0f8c9f449d342816e90e5f687c224b0a), files
 *   events/findings/compliance_finding.json, its parents events/findings/finding.json and events/base_event.json;
 *   categories.json (findings = 2); dictionary.json (attribute types and the enums of activity_id, severity_id,
 *   status_id, role_id, type_id); profiles/cloud.json (applied here, so `cloud` is required);
 *   objects/metadata.json, product.json, finding_info.json, analytic.json, compliance.json, cloud.json,
 *   account.json, organization.json, group.json, resource_details.json, _resource.json, _entity.json,
 *   evidences.json, remediation.json, key_value_object.json.
 * Required attributes are required; recommended and optional ones are optional. Objects are strict over the
 * attributes listed here, all of them defined by the class or object, so an attribute OCSF does not have fails.
 * Captions must match their *_id (the sibling convention), and the at_least_one constraints are checked.
 */

type Captions = Readonly<Record<number, string>>;

const activity: Captions = { 0: 'Unknown', 1: 'Create', 2: 'Update', 3: 'Close', 99: 'Other' };
const severity: Captions = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };
const findingStatus: Captions = { 0: 'Unknown', 1: 'New', 2: 'In Progress', 3: 'Suppressed', 4: 'Resolved', 5: 'Archived', 6: 'Deleted', 99: 'Other' };
const complianceStatus: Captions = { 0: 'Unknown', 1: 'Pass', 2: 'Warning', 3: 'Fail', 99: 'Other' };
const resourceRole: Captions = { 0: 'Unknown', 1: 'Target', 2: 'Actor', 3: 'Affected', 4: 'Related', 99: 'Other' };
const analyticType: Captions = {
  0: 'Unknown', 1: 'Rule', 2: 'Behavioral', 3: 'Statistical', 4: 'Learning (ML/DL)', 5: 'Fingerprinting', 6: 'Tagging',
  7: 'Keyword Match', 8: 'Regular Expressions', 9: 'Exact Data Match', 10: 'Partial Data Match', 11: 'Indexed Data Match', 99: 'Other',
};
const accountType: Captions = {
  0: 'Unknown', 1: 'LDAP Account', 2: 'Windows Account', 3: 'AWS IAM User', 4: 'AWS IAM Role', 5: 'GCP Account',
  6: 'Azure AD Account', 7: 'Mac OS Account', 8: 'Apple Account', 9: 'Linux Account', 10: 'AWS Account', 11: 'GCP Project',
  12: 'OCI Compartment', 13: 'Azure Subscription', 14: 'Salesforce Account', 15: 'Google Workspace', 16: 'Servicenow Instance',
  17: 'M365 Tenant', 18: 'Email Account', 19: 'ActiveDirectory Account', 99: 'Other',
};

const enumId = (captions: Captions) => z.int().refine((id) => id in captions, { message: `not one of ${Object.keys(captions).join(', ')}` });
/** timestamp_t: milliseconds since the epoch. */
const timestamp = z.int().nonnegative();
const strings = z.array(z.string());

type Checked = Record<string, unknown>;

/** A caption attribute, when present, is its *_id's caption (except for Other, which the source names). */
const siblings =
  (...pairs: readonly (readonly [idKey: string, captionKey: string, captions: Captions])[]) =>
  (value: Checked, ctx: z.RefinementCtx) => {
    for (const [idKey, captionKey, captions] of pairs) {
      const id = value[idKey];
      if (typeof id === 'number' && id !== 99 && value[captionKey] !== undefined && value[captionKey] !== captions[id]) {
        ctx.addIssue({ code: 'custom', path: [captionKey], message: `${captionKey} must be '${captions[id]}' for ${idKey} ${id}` });
      }
    }
  };

/** OCSF's at_least_one constraint. */
const atLeastOne =
  (...keys: readonly string[]) =>
  (value: Checked, ctx: z.RefinementCtx) => {
    if (!keys.some((key) => value[key] !== undefined)) ctx.addIssue({ code: 'custom', message: `needs at least one of ${keys.join(', ')}` });
  };

const entity = { uid: z.string().optional(), name: z.string().optional() };

const product = z.strictObject({ ...entity, vendor_name: z.string().optional(), version: z.string().optional() }).superRefine(atLeastOne('name', 'uid'));

const metadata = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a SemVer version of the OCSF schema'),
  product,
  profiles: strings.optional(),
  correlation_uid: z.string().optional(),
  original_time: z.string().optional(),
  log_name: z.string().optional(),
  uid: z.string().optional(),
});

const analytic = z
  .strictObject({ ...entity, type_id: enumId(analyticType), type: z.string().optional(), desc: z.string().optional() })
  .superRefine(siblings(['type_id', 'type', analyticType]));

const findingInfo = z.strictObject({
  uid: z.string(),
  title: z.string().optional(),
  desc: z.string().optional(),
  types: strings.optional(),
  created_time: timestamp.optional(),
  analytic: analytic.optional(),
});

const compliance = z
  .strictObject({
    control: z.string().optional(),
    desc: z.string().optional(),
    standards: strings.optional(),
    requirements: strings.optional(),
    status_id: enumId(complianceStatus).optional(),
    status: z.string().optional(),
    status_code: z.string().optional(),
    status_details: strings.optional(),
  })
  .superRefine(siblings(['status_id', 'status', complianceStatus]));

const account = z
  .strictObject({ ...entity, type_id: enumId(accountType).optional(), type: z.string().optional() })
  .superRefine(atLeastOne('name', 'uid'))
  .superRefine(siblings(['type_id', 'type', accountType]));
const organization = z.strictObject({ ...entity, ou_uid: z.string().optional(), ou_name: z.string().optional() }).superRefine(atLeastOne('name', 'uid'));

const cloud = z.strictObject({
  provider: z.string(),
  region: z.string().optional(),
  account: account.optional(),
  org: organization.optional(),
  cloud_partition: z.string().optional(),
});

const keyValue = z.strictObject({ name: z.string(), value: z.string().optional(), values: strings.optional() }).superRefine(atLeastOne('value', 'values'));
const group = z.strictObject({ ...entity, type: z.string().optional(), desc: z.string().optional() }).superRefine(atLeastOne('name', 'uid'));

const resourceDetails = z
  .strictObject({
    ...entity,
    type: z.string().optional(),
    region: z.string().optional(),
    cloud_partition: z.string().optional(),
    group: group.optional(),
    role_id: enumId(resourceRole).optional(),
    role: z.string().optional(),
    tags: z.array(keyValue).optional(),
    labels: strings.optional(),
    data: z.json().optional(),
  })
  .superRefine(atLeastOne('name', 'uid'))
  .superRefine(siblings(['role_id', 'role', resourceRole]));

const evidence = z
  .strictObject({ ...entity, data: z.json().optional(), resources: z.array(resourceDetails).optional() })
  .superRefine(
    atLeastOne('actor', 'api', 'connection_info', 'data', 'database', 'databucket', 'device', 'dst_endpoint', 'email', 'file', 'process', 'query', 'resources', 'src_endpoint', 'url', 'user', 'job', 'script'),
  );

const remediation = z.strictObject({ desc: z.string(), references: strings.optional() });

export const ocsfComplianceFindingSchema = z
  .strictObject({
    activity_id: enumId(activity),
    activity_name: z.string().optional(),
    category_uid: z.literal(2),
    category_name: z.literal('Findings').optional(),
    class_uid: z.literal(2003),
    class_name: z.literal('Compliance Finding').optional(),
    type_uid: z.int(),
    type_name: z.string().optional(),
    severity_id: enumId(severity),
    severity: z.string().optional(),
    status_id: enumId(findingStatus).optional(),
    status: z.string().optional(),
    time: timestamp,
    timezone_offset: z.int().min(-1080).max(1080).optional(),
    message: z.string().optional(),
    metadata,
    finding_info: findingInfo,
    compliance,
    cloud,
    resources: z.array(resourceDetails).optional(),
    evidences: z.array(evidence).optional(),
    remediation: remediation.optional(),
  })
  .superRefine(siblings(['activity_id', 'activity_name', activity], ['severity_id', 'severity', severity], ['status_id', 'status', findingStatus]))
  .superRefine((event, ctx) => {
    if (event.type_uid !== event.class_uid * 100 + event.activity_id) {
      ctx.addIssue({ code: 'custom', path: ['type_uid'], message: 'type_uid must be class_uid * 100 + activity_id' });
    }
    if (event.type_name !== undefined && event.type_name !== `Compliance Finding: ${activity[event.activity_id]}`) {
      ctx.addIssue({ code: 'custom', path: ['type_name'], message: "type_name must be '<class caption>: <activity caption>'" });
    }
    if (!(event.metadata.profiles ?? []).includes('cloud')) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'profiles'], message: 'the cloud profile is applied (cloud is set), so metadata.profiles lists it' });
    }
  });
export type OcsfComplianceFinding = z.infer<typeof ocsfComplianceFindingSchema>;
