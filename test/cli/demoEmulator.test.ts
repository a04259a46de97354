import * as emulatorPackage from '@kv-audit/azure-emulator';
import type { Estate, Fault } from '@kv-audit/azure-emulator';
import { describe, expect, it } from 'vitest';
import type { EmulatorModule } from '../../src/cli/demo.js';

/*
 * `kv-audit demo` loads the emulator package by name at run time, so the compiler cannot check the call there.
 * It is checked here: the package must have the shape the demo drives (a type error fails `npm test`).
 */

const asTheDemoSeesIt: EmulatorModule<Estate, Fault[]> = emulatorPackage;

describe('the emulator package, as kv-audit demo loads it', () => {
  it('exports everything the demo calls', () => {
    expect(Object.keys(asTheDemoSeesIt)).toEqual(
      expect.arrayContaining(['startEmulator', 'readEstateFile', 'parseFaultSpec', 'sampleEstate', 'sampleEnv', 'emulatorCredential', 'isEmulatorInputError']),
    );
  });

  it('reports bad input with its own error type, which the demo turns into exit code 2', () => {
    const error = (() => {
      try {
        return asTheDemoSeesIt.parseFaultSpec('disk:500@2');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(asTheDemoSeesIt.isEmulatorInputError(error) && [error.code, error.details.length]).toEqual(['InvalidFaults', 1]);
  });
});
