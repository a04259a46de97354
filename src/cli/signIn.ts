import { AggregateAuthenticationError } from '@azure/identity';
import { type AzureConnection, armTokenScope } from '../azure/clients.js';
import { KvAuditError, describeError } from '../errors.js';

/*
 * Before a scan, one token for ARM: without it every request fails, and the scan would end in an empty
 * "INCOMPLETE" table under "ChainedTokenCredential authentication failed". Not being signed in is its own
 * answer, with its own exit code and what to do; each credential's reason is shown with --verbose.
 */

const whatToDo = [
  "Sign in with 'az login' (or 'azd auth login'),",
  'or, for a service principal, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH),',
  'or, on an Azure host, use its managed identity (AZURE_CLIENT_ID names a user-assigned one).',
];

/** Why each credential of a chain could not get a token, one line each. */
function reasons(error: unknown): string[] {
  const errors = error instanceof AggregateAuthenticationError ? (error.errors as unknown[]) : [error];
  return errors.map((e) => `${e instanceof Error ? e.name : 'Error'}: ${describeError(e)}`);
}

export async function ensureSignedIn(connection: AzureConnection, verbose: boolean): Promise<void> {
  try {
    const token = await connection.credential.getToken(armTokenScope(connection));
    if (token === null) throw new Error('the credential returned no token');
  } catch (error) {
    const more = verbose ? 'Why each credential failed:' : 'Run again with --verbose to see why each credential failed.';
    const lines = ['Not signed in to Azure: no credential could get a token for Azure Resource Manager.', ...[...whatToDo, more].map((l) => `  ${l}`)];
    throw new KvAuditError('NotSignedIn', lines.join('\n'), {
      cause: error,
      details: verbose ? reasons(error) : [],
    });
  }
}
