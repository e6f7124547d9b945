/** Test certificates, made with the system's openssl. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A self-signed certificate for localhost, valid a day: writes dir/<name>.crt and dir/<name>.key. */
export function selfSignedCert(dir: string, name = 'tls'): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
}
