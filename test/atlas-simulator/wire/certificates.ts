/**
 * The simulator's TLS material: a generated CA and a server certificate for 127.0.0.1 and localhost signed by it,
 * written as PEM to a temporary directory so a driver can be given the CA file (`tlsCAFile`). Generated once per
 * process: key generation and signing cost time, and every listener can share one certificate.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installReflectMetadata } from './reflect-metadata.ts';

export interface DataPlaneTls {
  /** Path of the CA certificate (PEM), for `tlsCAFile`. */
  readonly caFile: string;
  readonly caPem: string;
  /** Server certificate and key (PEM), for node:tls. */
  readonly cert: string;
  readonly key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

let generated: Promise<DataPlaneTls> | undefined;

/** The process's CA and server certificate (generated on first use). */
export function dataPlaneTls(): Promise<DataPlaneTls> {
  generated ??= generate();
  return generated;
}

async function generate(): Promise<DataPlaneTls> {
  installReflectMetadata();
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>);
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Atlas simulator test CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  const caPem = ca.toString('pem');
  const dir = mkdtempSync(join(tmpdir(), 'atlas-sim-tls-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);
  return { caFile, caPem, cert: server.toString('pem'), key };
}
