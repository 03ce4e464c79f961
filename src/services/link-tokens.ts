import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens in the links Herald puts into emails (SPEC §6): click tracking, the open pixel and
 * unsubscribe / preference pages. A token is `base64url(payload) "." base64url(HMAC-SHA256)` under
 * a key derived (HKDF-SHA256) from HERALD_SECRET_KEY, so the master key itself never signs and
 * credentials encryption (SecretBox) uses a different key. The payload is a short JSON array whose
 * first element is the kind, so a token of one kind never verifies as another.
 *
 * Tokens do not expire: an unsubscribe link in a years-old email must still work (CAN-SPAM, RFC 8058).
 */
export type LinkToken =
  | { kind: 'click'; deliveryId: string; url: string }
  | { kind: 'open'; deliveryId: string }
  /** `category` null: the token stands for the email channel as a whole. */
  | { kind: 'unsubscribe'; appId: string; userId: string; category: string | null; deliveryId: string | null };

const KIND_TAG = { click: 'c', open: 'o', unsubscribe: 'u' } as const;
/** Anything longer is not a token Herald made (URLs in click tokens are capped well below). */
export const MAX_TOKEN_LENGTH = 8192;
const SIG_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const ID_MAX = 200;

export class LinkTokens {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'herald link tokens v1', 32));
  }

  sign(token: LinkToken): string {
    const payload = Buffer.from(JSON.stringify(toArray(token)), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The token's content, or undefined when it is malformed, forged or altered. */
  verify(token: string): LinkToken | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return undefined;
    const dot = token.indexOf('.');
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    // base64url decoding is lenient about trailing bits: compare bytes, and the re-encoding too,
    // so two spellings of one signature are not both accepted.
    if (given.length !== SIG_BYTES || given.toString('base64url') !== token.slice(dot + 1)) return undefined;
    if (!timingSafeEqual(given, this.mac(payload))) return undefined;
    try {
      return fromArray(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return undefined;
    }
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload, 'utf8').digest();
  }
}

function toArray(t: LinkToken): unknown[] {
  switch (t.kind) {
    case 'click':
      return [KIND_TAG.click, t.deliveryId, t.url];
    case 'open':
      return [KIND_TAG.open, t.deliveryId];
    case 'unsubscribe':
      return [KIND_TAG.unsubscribe, t.appId, t.userId, t.category, t.deliveryId];
  }
}

const id = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= ID_MAX;
const idOrNull = (v: unknown): v is string | null => v === null || id(v);

/** Even a correctly signed payload is checked: a bug in signing must not become a crash in serving. */
function fromArray(a: unknown): LinkToken | undefined {
  if (!Array.isArray(a)) return undefined;
  if (a[0] === KIND_TAG.click && a.length === 3 && id(a[1]) && typeof a[2] === 'string' && /^https?:\/\//i.test(a[2])) {
    return { kind: 'click', deliveryId: a[1], url: a[2] };
  }
  if (a[0] === KIND_TAG.open && a.length === 2 && id(a[1])) return { kind: 'open', deliveryId: a[1] };
  if (a[0] === KIND_TAG.unsubscribe && a.length === 5 && id(a[1]) && id(a[2]) && idOrNull(a[3]) && idOrNull(a[4])) {
    return { kind: 'unsubscribe', appId: a[1], userId: a[2], category: a[3], deliveryId: a[4] };
  }
  return undefined;
}
