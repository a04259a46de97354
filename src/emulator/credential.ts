import type { AccessToken, TokenCredential } from '@azure/core-auth';

/** The bearer token the emulator's clients present. The emulator accepts any bearer token; this one needs no network. */
const emulatorToken = 'kv-audit-emulator-token';

export const emulatorCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: emulatorToken, expiresOnTimestamp: Date.now() + 3600_000 }),
};
