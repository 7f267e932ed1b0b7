// Certificates for TLS tests, made by openssl in a folder of the test's own (test-only,
// never committed): a test CA, a server certificate it signed for 127.0.0.1 and localhost,
// one for another name, one self-signed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  readonly key: Buffer;
  readonly cert: Buffer;
}

export interface TestCerts {
  /** The CA's certificate file (PEM). */
  readonly ca: string;
  readonly server: CertPair;
  readonly elsewhere: CertPair;
  readonly self: CertPair;
}

/** A test CA; a server certificate it signed for 127.0.0.1 and localhost; one for another name; one self-signed. */
export function makeCerts(dir: string): TestCerts {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cicsmail test CA');
  const signed = (name: string, san: string) => {
    writeFileSync(
      join(dir, `${name}.ext`),
      `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
    );
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  signed('server', 'IP:127.0.0.1,DNS:localhost');
  signed('elsewhere', 'DNS:mx.elsewhere.example');
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  );
  const pair = (name: string) => ({
    key: readFileSync(join(dir, `${name}.key`)),
    cert: readFileSync(join(dir, `${name}.pem`)),
  });
  return { ca: join(dir, 'ca.pem'), server: pair('server'), elsewhere: pair('elsewhere'), self: pair('self') };
}
