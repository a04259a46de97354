import { describe, expect, it } from 'vitest';
import { isEmulatorInputError } from '../src/index.js';
import { declareStreams } from '../src/logsIngestion.js';
import { deployedStreams } from './support.js';

/** The DCR's stream declarations the emulator is started with: the deployed column files, validated at start. */

describe('stream declarations', () => {
  it('takes the deployed column files, keeping each column name and type', () => {
    const streams = declareStreams(deployedStreams);
    expect([...streams.keys()]).toEqual(['Custom-KeyVaultAuditFindings', 'Custom-KeyVaultAuditScans']);
    expect(streams.get('Custom-KeyVaultAuditScans')).toContainEqual({ name: 'Complete', type: 'boolean' });
  });

  it('refuses bad declarations, every problem at once with its path', () => {
    const error = (() => {
      try {
        return declareStreams([
          { streamName: 'Findings', columns: [{ name: 'A', type: 'text' }] },
          { streamName: 'Custom-Scans', columns: [] },
          { streamName: 'Custom-Ok', columns: [{ name: 'A', type: 'int' }] },
          { streamName: 'Custom-Ok', columns: [{ name: 'B', type: 'int' }] },
          'not an object',
        ]);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(isEmulatorInputError(error) && [error.code, error.details]).toEqual([
      'InvalidStreams',
      [
        "streams[0].streamName: must be 'Custom-' followed by letters, digits or underscores",
        'streams[0].columns[0].type: Invalid option: expected one of "string"|"int"|"long"|"real"|"boolean"|"datetime"|"dynamic"',
        'streams[1].columns: must declare at least one column',
        "streams[3].streamName: 'Custom-Ok' is declared twice",
        'streams[4]: Invalid input: expected object, received string',
      ],
    ]);
  });
});
