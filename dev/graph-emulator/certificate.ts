import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { generate } from 'selfsigned';

export interface EmulatorCertificate {
  readonly key: string;
  readonly cert: string;
  /** Where the certificate is written, for NODE_EXTRA_CA_CERTS of the process that calls the emulator. */
  readonly certPath: string;
}

/**
 * A fresh self-signed certificate for localhost and 127.0.0.1. The emulator must speak HTTPS:
 * the Graph client only attaches tokens to https URLs, and a caller trusts this certificate
 * explicitly through NODE_EXTRA_CA_CERTS rather than by turning verification off.
 */
export async function createLocalhostCertificate(certPath: string): Promise<EmulatorCertificate> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(dirname(certPath), { recursive: true });
  writeFileSync(certPath, pems.cert);
  return { key: pems.private, cert: pems.cert, certPath };
}
