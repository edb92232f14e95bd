// Reads the PEM certificate chain and private key Gatehouse serves HTTPS with, and checks that they
// belong together before they replace anything (a half-written renewal must not take the site down).
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration, never from a request */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { TlsFiles } from './config/config.js';

export function readTlsFiles(files: TlsFiles): { cert: Buffer; key: Buffer; passphrase?: string } {
  const cert = readFileSync(files.certFile);
  const key = readFileSync(files.keyFile);
  const privateKey = createPrivateKey({ key, format: 'pem', ...(files.passphrase ? { passphrase: files.passphrase } : {}) });
  if (!new X509Certificate(cert).checkPrivateKey(privateKey)) {
    throw new Error(`the private key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`);
  }
  return { cert, key, ...(files.passphrase ? { passphrase: files.passphrase } : {}) };
}
