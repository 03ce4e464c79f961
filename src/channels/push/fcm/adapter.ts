import { Agent, request, type Dispatcher } from 'undici';
import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { AccessTokenCache, type AccessToken } from './access-token.js';
import { fcmDeliveryError, parseFcmError, parseRetryAfter, transportError } from './errors.js';
import { buildFcmBody } from './message.js';
import { refusal } from '../refusal.js';
import { undiciConnect } from '../../outbound-sockets.js';

/** The Google service-account JSON (only the fields FCM needs). */
export interface FcmServiceAccount {
  project_id: string;
  client_email: string;
  /** RSA PKCS#8 PEM. */
  private_key: string;
  private_key_id?: string;
  /** Default https://oauth2.googleapis.com/token. */
  token_uri?: string;
}

export interface FcmConfig {
  /** The object, or the JSON text as downloaded from the Firebase console. */
  service_account: FcmServiceAccount | string;
  /** scheme://host:port overriding https://fcm.googleapis.com. */
  endpoint?: string;
  /** Extra trusted CA (PEM), added to Node's roots. */
  ca?: string | Buffer;
  /** The outbound guard's lookup (ports/outbound-guard.ts), for FCM and the token endpoint alike; absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /** Connections per origin (default 32). */
  maxConnections?: number;
  /** Negotiate HTTP/2 (multiplexed) where the server offers it (default true). */
  allowH2?: boolean;
  /** Per-request deadline (default 10 s). */
  requestTimeoutMs?: number;
  now?: () => number;
}

export interface FcmStats {
  /** OAuth token requests: one per hour of traffic, shared by concurrent sends. */
  readonly tokenFetches: number;
  readonly requests: number;
}

export interface FcmAdapter extends ChannelAdapter {
  readonly stats: FcmStats;
}

export function createFcmAdapter(config: FcmConfig): FcmAdapter {
  const account = typeof config.service_account === 'string' ? (JSON.parse(config.service_account) as FcmServiceAccount) : config.service_account;
  if (!account?.project_id || !account.client_email || !account.private_key) {
    throw new Error('FCM service_account needs project_id, client_email and private_key');
  }
  const now = config.now ?? Date.now;
  const timeoutMs = config.requestTimeoutMs ?? 10_000;
  const endpoint = new URL(config.endpoint ?? 'https://fcm.googleapis.com').origin;
  const sendUrl = `${endpoint}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`;
  // One agent for both origins (FCM and the token endpoint), keeping connections alive.
  const allowH2 = config.allowH2 ?? true;
  const dispatcher = new Agent({
    connections: config.maxConnections ?? 32,
    allowH2,
    keepAliveTimeout: 60_000,
    // One secure context shared by every connection: parsing Node's ~150 roots per TLS handshake is slow.
    connect: undiciConnect(config.lookup, { allowH2, ...(config.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, config.ca.toString()] }) } : {}) }),
  });
  const tokens = new AccessTokenCache(
    {
      clientEmail: account.client_email,
      privateKeyPem: account.private_key,
      privateKeyId: account.private_key_id,
      tokenUri: account.token_uri ?? 'https://oauth2.googleapis.com/token',
    },
    dispatcher,
    now,
    timeoutMs,
  );
  let requests = 0;

  async function post(body: string, token: AccessToken): Promise<{ status: number; text: string; headers: Dispatcher.ResponseData['headers'] }> {
    requests++;
    try {
      const res = await request(sendUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.value}`, 'content-type': 'application/json; charset=UTF-8' },
        body,
        dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
    } catch (err) {
      throw transportError(err);
    }
  }

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const body = buildFcmBody(msg, now());
    let token = tokens.fresh() ?? (await tokens.get());
    for (let refreshed = false; ; refreshed = true) {
      const res = await post(body, token);
      if (res.status === 200) {
        return { providerMessageId: messageName(res.text) };
      }
      const info = parseFcmError(res.text);
      // A revoked or expired access token: one fresh token, once. An FcmError 401 is APNs/web auth, not ours.
      if (res.status === 401 && !info.errorCode && !refreshed) {
        tokens.invalidate(token);
        token = await tokens.get();
        continue;
      }
      throw fcmDeliveryError(res.status, info, parseRetryAfter(res.headers['retry-after'], now()));
    }
  }

  return {
    name: 'fcm',
    channel: 'push',
    check: (msg) => refusal(() => buildFcmBody(msg, Date.now())),
    stats: {
      get tokenFetches() {
        return tokens.fetches;
      },
      get requests() {
        return requests;
      },
    },
    send,
    close: () => dispatcher.close(),
  };
}

/** The message was accepted even if its answer is unreadable: never turn that into a retry. */
function messageName(text: string): string | undefined {
  try {
    const name = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
