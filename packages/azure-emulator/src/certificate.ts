import { generate } from 'selfsigned';

export interface ServerCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made at every start. Clients trust it
 * through `tlsOptions.ca`; EC P-256 keeps generation in the tens of milliseconds.
 */
export async function createServerCertificate(): Promise<ServerCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'kv-audit-emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 7 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { certificatePem: pems.cert, privateKeyPem: pems.private };
}
