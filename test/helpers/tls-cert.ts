/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made at test time with the
 * machine's openssl (P-256, one day), for the TLS tests of the rpc layer and of gregord.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Write `key.pem` and `cert.pem` into `dir` and return their paths; throws if openssl fails. */
export function makeTestCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile };
}
