/**
 * A self-signed certificate for 127.0.0.1 (openssl, one day, RSA 2048) in `dir`: for a TLS peer on loopback that a
 * test's client trusts by naming the certificate as its CA — and that any other client refuses.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopbackCertificate {
  keyPath: string;
  certPath: string;
  key: Buffer;
  cert: Buffer;
}

export function loopbackCertificate(dir: string, commonName: string): LoopbackCertificate {
  const keyPath = join(dir, `${commonName}-key.pem`);
  const certPath = join(dir, `${commonName}-cert.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { keyPath, certPath, key: readFileSync(keyPath), cert: readFileSync(certPath) };
}
