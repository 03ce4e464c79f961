import selfsigned from 'selfsigned';

/**
 * TLS material for the push emulators. APNs and Web Push are TLS-only protocols (and `web-push`
 * clients refuse plain http), so the emulators serve a self-signed certificate for the loopback
 * names; clients trust it by passing `cert` as their extra CA.
 */
export interface PushTlsMaterial {
  /** PEM certificate; also the trust anchor clients pass as `ca`. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

let shared: Promise<PushTlsMaterial> | undefined;

/**
 * One certificate per process: generating it costs tens of milliseconds and every emulator on
 * this machine answers for the same names, so they share it.
 */
export function pushTlsMaterial(): Promise<PushTlsMaterial> {
  shared ??= generatePushTlsMaterial().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

export async function generatePushTlsMaterial(commonName = 'localhost'): Promise<PushTlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 5 * 365 * 24 * 3600_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      // A CA bit lets the same certificate act as the trust anchor the clients are given.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: commonName },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
