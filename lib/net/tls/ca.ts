/**
 * Where a TLS client's trusted CAs come from when it names none: the system's store. Node's bundled OpenSSL
 * looks in its own build-time directory, which rarely holds anything, so verdant finds the store itself, in
 * this order:
 * 1. the PEM bundle named by `SSL_CERT_FILE` (OpenSSL's own override), if it is set and readable;
 * 2. `tls.getCACertificates('system')`, where Node has it (22.15+, 23.5+) and it finds any;
 * 3. the first readable bundle among the usual places (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine, the BSDs);
 * 4. Node's bundled Mozilla list (`tls.rootCertificates`), so that verification never silently has no roots.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch, Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL, CentOS
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // newer RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/ssl/cert.pem', // Alpine, macOS, the BSDs
  '/usr/local/share/certs/ca-root-nss.crt', // FreeBSD
];

/** Where the default CAs were found: a file path, 'node:system' or 'node:bundled'. */
export type CaSource = string;

let cached: { pems: readonly string[]; source: CaSource } | undefined;

/**
 * The PEM certificates a client trusts by default, and where they came from. Read once per process (the
 * default client context parses them once too).
 */
export function defaultCaCertificates(): { pems: readonly string[]; source: CaSource } {
  cached ??= findCaCertificates();
  return cached;
}

function findCaCertificates(): { pems: readonly string[]; source: CaSource } {
  const fromEnv = process.env.SSL_CERT_FILE;
  if (fromEnv) {
    const pem = readBundle(fromEnv);
    if (pem !== null) return { pems: [pem], source: fromEnv };
  }
  const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof getCACertificates === 'function') {
    try {
      const system = getCACertificates('system');
      if (system.length > 0) return { pems: system, source: 'node:system' };
    } catch {
      // An older Node that knows the function but not 'system': fall through to the files.
    }
  }
  for (const path of SYSTEM_BUNDLES) {
    const pem = readBundle(path);
    if (pem !== null) return { pems: [pem], source: path };
  }
  return { pems: tls.rootCertificates, source: 'node:bundled' };
}

function readBundle(path: string): string | null {
  try {
    const text = readFileSync(path, 'latin1');
    return text.includes('-----BEGIN CERTIFICATE-----') ? text : null;
  } catch {
    return null;
  }
}
