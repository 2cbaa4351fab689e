// A self-signed serving certificate for the API server, made on first `up`.
// kubectl sends bearer tokens only over TLS, so the API speaks HTTPS and the
// kubeconfig carries this certificate as its certificate-authority-data.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ServingCert {
  cert: string;
  key: string;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];

function covers(certPem: string, hosts: string[]): boolean {
  const cert = new X509Certificate(certPem);
  if (new Date(cert.validTo).getTime() < Date.now() + 24 * 3600 * 1000) return false;
  return hosts.every((h) => (isIP(h) ? cert.checkIP(h) : cert.checkHost(h)) !== undefined);
}

/** Reuses <dir>/server.crt if it covers every host the server answers as; otherwise makes a new one. */
export async function ensureServingCert(dir: string, listen: string): Promise<ServingCert> {
  const hosts = [...new Set([...DEFAULT_HOSTS, ...(listen === '0.0.0.0' || listen === '::' ? [] : [listen])])];
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    if (covers(cert, hosts)) return { cert, key: readFileSync(keyFile, 'utf8') };
  }
  const notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'switchyard' }, { name: 'organizationName', value: 'switchyard' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  return { cert: pems.cert, key: pems.private };
}
