import { createDecipheriv, hkdfSync, type ECDH } from 'node:crypto';

/**
 * RFC 8291 message decryption (the browser's half of Web Push encryption), over the RFC 8188
 * aes128gcm content coding. A real push service only relays ciphertext; the emulator plays the
 * browser too, so tests can see exactly what a user's device would display.
 */
export interface UserAgentKeys {
  /** The subscription's ECDH key pair (p256dh). */
  ecdh: ECDH;
  /** The 16-byte auth secret. */
  auth: Buffer;
}

export class DecryptError extends Error {}

export function decryptAes128gcm(body: Buffer, keys: UserAgentKeys): Buffer {
  if (body.length < 21) throw new DecryptError('body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (idlen !== 65) throw new DecryptError(`keyid must be the 65-byte sender public key, got ${idlen} bytes`);
  if (rs < 18) throw new DecryptError('record size too small');
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  // RFC 8291 §4: a push message is a single record.
  if (ciphertext.length > rs) throw new DecryptError('more than one record');
  if (ciphertext.length < 17) throw new DecryptError('record shorter than its tag');

  let ecdhSecret: Buffer;
  try {
    ecdhSecret = keys.ecdh.computeSecret(asPublic);
  } catch (err) {
    throw new DecryptError(`bad sender public key: ${(err as Error).message}`);
  }
  const uaPublic = keys.ecdh.getPublicKey();
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, keys.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));

  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  let padded: Buffer;
  try {
    padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch {
    throw new DecryptError('authentication tag mismatch (wrong keys or corrupted body)');
  }
  // Padding is zeros after a 0x02 delimiter, which marks the last (here: only) record.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new DecryptError('missing last-record delimiter');
  return padded.subarray(0, end);
}
