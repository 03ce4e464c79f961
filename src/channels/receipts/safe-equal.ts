import { timingSafeEqual } from 'node:crypto';

/** Signature comparison that does not leak, through timing, how much of a forgery was right. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // timingSafeEqual throws on unequal lengths; the length of a signature is no secret.
  return x.length === y.length && timingSafeEqual(x, y);
}
