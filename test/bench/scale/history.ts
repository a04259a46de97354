import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { auditDestinationTargets, settingsOfResource } from '../../../src/control/diagnosticSetting.js';
import { normalizeResourceId } from '../../../src/control/resourceId.js';
import { ResourceStates, fingerprintLength } from '../../../src/state/resourceStates.js';
import { scanStateVersion } from '../../../src/state/scanState.js';
import { fileStateStore } from '../../../src/state/stateStore.js';
import type { EstateShape } from '../../support/generatedEstate.js';

/*
 * The scan legs run as the deployed timer's daily full scan: the last scan's state, one entry per vault, is loaded
 * before the scan and the next one saved after it, so the state's memory counts in the peak as it does on the
 * instance. The state loaded is written here, in the bench's own process, as the last full scan of the same estate
 * would have left it (its findings' fingerprints aside, which a full scan does not compare).
 */

const hour = 3_600_000;

const fingerprint = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, fingerprintLength);

/** Writes to `path` the state a full scan of the estate a day before `at` left; its size in bytes. */
export async function writeLastFullScanState(shape: EstateShape, path: string, at: number): Promise<number> {
  const resources = ResourceStates.empty();
  for (let serial = 0; serial < shape.spec.vaults; serial++) {
    const { resource, settings, verdict } = shape.vault(serial);
    const { status } = verdict;
    if (status === 'Removed') throw new Error(`vault ${serial} is expected Removed: a generated estate has no such vault`);
    resources.update(normalizeResourceId(resource.id), {
      finding: fingerprint(`finding ${serial}`),
      status,
      record: fingerprint(`record ${serial}`),
      // What the scan itself keeps: the targets its destination check resolves for the settings that enable audit.
      destinations: [...new Set(auditDestinationTargets(settingsOfResource(resource.id, settings)))],
      exemptionUntil: null,
      readFailed: false,
    });
  }
  const { saved, problem } = await fileStateStore(path).save({
    version: scanStateVersion,
    scanId: '6c1f9a2e-4b7d-4e0a-8f35-2d9b1c7e5a40',
    startedAt: new Date(at - 24 * hour).toISOString(),
    lastFullAt: new Date(at - 24 * hour).toISOString(),
    basis: fingerprint('the last full scan'),
    resources,
    destinations: Object.fromEntries([...resources.destinationIds()].map((id) => [id, fingerprint(id)])),
    destinationsChangedWithoutArm: [],
    writtenCount: shape.spec.vaults,
    written: null,
  });
  if (!saved) throw new Error(`the bench could not write the last scan's state: ${problem}`);
  return statSync(path).size;
}
