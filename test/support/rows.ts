import { type ScanRow, scanRowSchema } from '../../src/findings/schema.js';

/** A valid scan row (checked against the schema) with what a test cares about overridden. */
export function scanRow(overrides: Partial<ScanRow> = {}): ScanRow {
  return scanRowSchema.parse({
    TimeGenerated: '2026-11-22T10:00:00.000Z',
    ScanId: '8f6c1c2e-6a51-4a43-9d8e-2f1f6b0c1d2e',
    Trigger: 'Timer',
    Mode: 'Full',
    Since: null,
    Scope: { Kind: 'Tenant', Ids: [] },
    StartedAt: '2026-11-22T09:59:00.000Z',
    FinishedAt: '2026-11-22T10:00:00.000Z',
    DurationMs: 60_000,
    Complete: true,
    InventoryComplete: true,
    ResourceCount: 0,
    PassCount: 0,
    FailCount: 0,
    ExemptCount: 0,
    ErrorCount: 0,
    ResourcesRead: 0,
    FindingsWritten: 0,
    ArgQueries: 2,
    ArmCalls: 0,
    ArmThrottled: 0,
    ResourceGraphHasDiagnosticSettings: false,
    Errors: [],
    Version: '0.1.0',
    ...overrides,
  });
}
