/**
 * The emulator's pure request handling, without its server: the benchmark's simulated Azure answers the SDK clients
 * in virtual time, with no sockets, and gives the answers these give (bodies, error shapes, throttle headers).
 */
export { indexEstate, type EstateIndex } from './estateIndex.js';
export { diagnosticSettingsTarget, listDiagnosticSettings } from './diagnosticSettings.js';
export { getResource, resourceTarget } from './armResources.js';
export { declareStreams, ingest, uploadTarget } from './logsIngestion.js';
export { type EmulatorResponse, errorResponse, unwrappedErrorResponse } from './http.js';
export { rateLimited } from './resourceGraph.js';
export { ActivityLog, activityLogTarget } from './activityLog.js';
export type { ArmOperation } from './estateChanges.js';
export { ArgUserQuota, ArmReadBuckets, formatResetsAfter } from './throttling.js';
