/** The bearer token the emulator's clients present. The emulator accepts any bearer token; this one needs no network. */
const emulatorToken = 'kv-audit-emulator-token';

/** A token credential (the shape @azure/core-auth's TokenCredential has) that signs every request for the emulator. */
export const emulatorCredential = {
  getToken: async (): Promise<{ token: string; expiresOnTimestamp: number }> => ({
    token: emulatorToken,
    expiresOnTimestamp: Date.now() + 3600_000,
  }),
};
