/**
 * A local Azure emulator: ARM diagnostic settings, Azure Resource Graph and Logs Ingestion on one HTTPS
 * origin, speaking the real wire contracts so the project's real SDK clients run against it.
 */
export { startEmulator, type Emulator, type EmulatorOptions, type EmulatorStats, type IngestedBatch } from './server.js';
export { emulatorCredential } from './credential.js';
export { estateSchema, type Estate, readEstateFile, parseEstate } from './estate.js';
export { sampleEstate, sampleEnv } from './sampleEstate.js';
export { parseFaultSpec, type Fault } from './faults.js';
export { generateEstate, type GeneratedEstate, type GeneratedEstateSpec, type ExpectedVerdict } from './generatedEstate.js';
