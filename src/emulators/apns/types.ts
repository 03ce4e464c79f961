import type { FaultBase } from '../shared/push-faults.js';
import type { PushTlsMaterial } from '../shared/push-tls.js';
import type { ApnsEmulatorKey, ApnsProviderKey } from './provider-tokens.js';

/** A notification the emulator accepted, decoded. */
export interface ApnsReceived {
  token: string;
  topic: string;
  pushType: string;
  priority: number;
  /** Epoch seconds; 0 = deliver once or drop. */
  expiration: number;
  apnsId: string;
  collapseId?: string;
  teamId: string;
  keyId: string;
  payload: Record<string, unknown>;
  receivedAt: number;
}

/**
 * What the next matching requests suffer. `status` + `reason` answer an APNs error instead of
 * processing; `goaway` sends a GOAWAY (opaque data `{"reason": goaway}`) covering this stream
 * and closes the connection after answering it; `hang` never answers.
 * `target` restricts the fault to one device token.
 */
export interface ApnsFault extends FaultBase {
  status?: number;
  reason?: string;
  /** 410 only: when the token stopped being valid (epoch ms). */
  timestamp?: number;
  /** Apple sends none; a proxy in front of it might. */
  retryAfterSec?: number;
  delayMs?: number;
  hang?: boolean;
  goaway?: string;
}

export interface ApnsEmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  keys?: ApnsEmulatorKey[];
  /** Topics any key may push to; absent = any (per-key `topics` still apply). */
  topics?: string[];
  /** Device tokens answered with 410 Unregistered. */
  unregistered?: string[];
  latencyMs?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS once authenticated (APNs advertises about 1000). */
  maxConcurrentStreams?: number;
  /** APNs allows one stream on a new connection until a request carries a valid token. */
  oneStreamUntilAuthenticated?: boolean;
  /** Minimum interval between provider token changes on one connection; 0 disables (default 20 min). */
  tokenUpdateIntervalMs?: number;
  maxReceived?: number;
  /** The emulator's clock, for token age checks. */
  now?: () => number;
  tls?: PushTlsMaterial;
}

export interface ApnsEmulator {
  /** scheme://host:port, the adapter's `endpoint`. */
  readonly url: string;
  /** PEM to trust (the adapter's `ca`). */
  readonly ca: string;
  readonly received: ApnsReceived[];
  readonly stats: { requests: number; accepted: number; rejected: number; connections: number };
  on(event: 'message', listener: (m: ApnsReceived) => void): void;
  off(event: 'message', listener: (m: ApnsReceived) => void): void;
  inject(fault: ApnsFault): void;
  clearFaults(): void;
  addKey(key: ApnsEmulatorKey): void;
  /** Registers a fresh P-256 key and returns the adapter credentials for it. */
  createProviderKey(opts?: { teamId?: string; keyId?: string; topics?: string[] }): ApnsProviderKey;
  /** Future sends to `token` answer 410 Unregistered with this timestamp (default now). */
  unregister(token: string, timestamp?: number): void;
  /** Binds a token to its app: other topics get 400 DeviceTokenNotForTopic. */
  registerDevice(token: string, topic: string): void;
  /** Sends GOAWAY on every open connection and closes them once their streams finish. */
  goaway(reason?: string): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}
