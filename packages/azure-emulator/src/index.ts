/**
 * A local Azure emulator: ARM diagnostic settings, Azure Resource Graph, the Activity Log and Logs Ingestion on one
 * HTTPS origin, speaking the real wire contracts so the real Azure SDK clients run against it; Event Grid deliveries
 * of the estate's changes to a Storage queue in Azurite, which startAzurite() runs.
 */
export { startEmulator, type Emulator, type EmulatorOptions, type EmulatorStats, type IngestedBatch } from './server.js';
export { startAzurite, azuriteAccount, type Azurite, type AzuriteOptions } from './azurite.js';
export { connectEventQueue, type EventQueueReader, type QueuedMessage } from './eventQueueReader.js';
export { type EventGridEvent, type EventsOptions, eventSubscriptionOperations, queueMessageBody } from './eventGrid.js';
export { emulatorCredential } from './credential.js';
export { EmulatorInputError, isEmulatorInputError, type EmulatorInputErrorCode } from './errors.js';
export { estateSchema, type Estate, type EstateDiagnosticSetting, type EstateResource, readEstateFile, parseEstate } from './estate.js';
export { type StreamDeclaration } from './logsIngestion.js';
export { type LogEntry, type SettingParts, listedDiagnosticSetting, logEntries, metricEntries } from './listedSetting.js';
export { sampleEstate, sampleEnv, sampleWatchEstate } from './sampleEstate.js';
export { parseFaultSpec, type Fault } from './faults.js';
export { hashSeed, seededRandom } from './random.js';
export { resourceGraphDialectProblems, type DialectProblem } from './resourceGraphDialect.js';
