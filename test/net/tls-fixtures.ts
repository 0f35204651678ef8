/**
 * Certificates for the TLS suites, made at test time with the openssl CLI in a temporary directory: a test CA, a
 * server certificate for localhost and 127.0.0.1, one for other.test and *.sni.test, an expired one, one from a
 * CA nobody trusts, a client certificate, and an encrypted key. EC P-256 keys keep it fast.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface TlsFixtures {
  dir: string;
  ca: string;
  localhost: CertPair;
  other: CertPair;
  expired: CertPair;
  untrusted: CertPair;
  client: CertPair;
  /** localhost's certificate with its key encrypted under the passphrase 'sesame'. */
  encrypted: CertPair;
  /** SHA-256 fingerprint of localhost's certificate, as openssl prints it. */
  localhostFingerprint: string;
}

function openssl(dir: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

function newKey(dir: string, name: string): void {
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  newKey(dir, name);
  openssl(dir, 'req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function request(dir: string, name: string, subject: string, san?: string): void {
  newKey(dir, name);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, ...(san ? ['-addext', `subjectAltName=${san}`] : []));
}

function sign(dir: string, name: string, ca: string, extra: string[] = []): void {
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '30', '-copy_extensions', 'copy', ...extra);
}

function pair(dir: string, name: string): CertPair {
  return { cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'), key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') };
}

/** Makes every certificate (about a second); `cleanup` removes them. */
export function makeTlsFixtures(): TlsFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-tls-'));
  selfSignedCa(dir, 'ca', '/CN=verdant test CA');
  selfSignedCa(dir, 'rogue', '/CN=nobody trusts me');

  request(dir, 'localhost', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  sign(dir, 'localhost', 'ca');
  request(dir, 'other', '/CN=other.test', 'DNS:other.test,DNS:*.sni.test');
  sign(dir, 'other', 'ca');
  request(dir, 'untrusted', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  sign(dir, 'untrusted', 'rogue');
  request(dir, 'client', '/CN=verdant client');
  sign(dir, 'client', 'ca');

  // OpenSSL 3.0's `x509 -req` cannot start a certificate in the past; `openssl ca` can.
  request(dir, 'expired', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  fs.mkdirSync(path.join(dir, 'db'));
  fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'db', 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]', 'default_ca = test', '[test]', 'database = db/index.txt', 'new_certs_dir = db', 'serial = db/serial',
      'default_md = sha256', 'policy = any', 'copy_extensions = copy', 'unique_subject = no', '[any]', 'commonName = supplied', '',
    ].join('\n'),
  );
  openssl(dir, 'ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr',
    '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext');

  openssl(dir, 'pkey', '-in', 'localhost.key', '-aes256', '-passout', 'pass:sesame', '-out', 'encrypted.key');
  const fingerprint = openssl(dir, 'x509', '-in', 'localhost.pem', '-noout', '-fingerprint', '-sha256').trim();

  return {
    dir,
    ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    localhost: pair(dir, 'localhost'),
    other: pair(dir, 'other'),
    expired: pair(dir, 'expired'),
    untrusted: pair(dir, 'untrusted'),
    client: pair(dir, 'client'),
    encrypted: { cert: pair(dir, 'localhost').cert, key: fs.readFileSync(path.join(dir, 'encrypted.key'), 'utf8') },
    localhostFingerprint: fingerprint.slice(fingerprint.indexOf('=') + 1),
  };
}

export function removeTlsFixtures(fixtures: TlsFixtures | undefined): void {
  if (fixtures) fs.rmSync(fixtures.dir, { recursive: true, force: true });
}
