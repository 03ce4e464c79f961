import http2, {
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import { http2Connection } from '../../outbound-sockets.js';

export interface Http2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The request never reached the server's processing (refused stream, connection going away): safe to resend. */
export class UnprocessedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnprocessedError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface Http2ConnectionOptions {
  /** Extra trusted CA (PEM); added to Node's roots rather than replacing them. */
  ca?: string | Buffer;
  /** Answer deadline per request (default 10 s). */
  timeoutMs?: number;
  /** Idle connections are PINGed this often, so NATs and APNs keep them (default 15 min). */
  pingIntervalMs?: number;
  /** The outbound guard's lookup (a tenant's endpoint): every connection dials only the address it answers. */
  lookup?: LookupFunction;
}

/**
 * One long-lived HTTP/2 connection to one origin, carrying every request as a stream. APNs
 * prefers a few connections kept for hours over many short ones. A connection that errors,
 * closes or receives GOAWAY is dropped; the next request opens a new one.
 */
interface Deadline {
  at: number;
  expire: () => void;
}

export class Http2Connection {
  opened = 0;
  private session?: ClientHttp2Session;
  private lastActivity = 0;
  private readonly pinger: NodeJS.Timeout;
  private readonly options: SecureClientSessionOptions;
  private readonly timeoutMs: number;
  // Deadlines are swept by one interval rather than a timer per request: at thousands of
  // requests a second, creating and clearing a Timeout each costs about 5% of throughput.
  private readonly deadlines = new Set<Deadline>();
  private sweeper?: NodeJS.Timeout;
  private readonly sweepMs: number;

  constructor(
    private readonly origin: string,
    opts: Http2ConnectionOptions = {},
  ) {
    // One secure context for every reconnect: parsing Node's ~150 root certificates per connection costs milliseconds.
    const tlsOptions = opts.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, opts.ca.toString()] }) } : {};
    this.options = opts.lookup ? { ...tlsOptions, createConnection: http2Connection(opts.lookup, new URL(origin), tlsOptions) } : tlsOptions;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.sweepMs = Math.min(250, Math.max(10, Math.floor(this.timeoutMs / 10)));
    const interval = opts.pingIntervalMs ?? 15 * 60_000;
    this.pinger = setInterval(() => this.pingIfIdle(interval), interval);
    this.pinger.unref();
  }

  request(headers: OutgoingHttpHeaders, body: Buffer): Promise<Http2Response> {
    return new Promise<Http2Response>((resolve, reject) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.live().request(headers);
      } catch (err) {
        // request() throws when the session is already closing after a GOAWAY we have not seen yet.
        this.drop();
        reject(new UnprocessedError('connection was closing', { cause: err }));
        return;
      }
      let settled = false;
      let status = 0;
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const finish = (err: Error | undefined): void => {
        if (settled) return;
        settled = true;
        this.deadlines.delete(deadline);
        this.lastActivity = Date.now();
        if (err) reject(err);
        else resolve({ status, headers: responseHeaders, body: chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8') });
      };
      const deadline: Deadline = {
        at: Date.now() + this.timeoutMs,
        expire: () => {
          finish(new RequestTimeoutError(this.timeoutMs));
          req.close(http2.constants.NGHTTP2_CANCEL);
        },
      };
      this.track(deadline);
      req.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => finish(undefined));
      req.on('error', (err) => finish(classifyStreamError(req.rstCode, err)));
      // A stream reset without an error (e.g. CANCEL) only closes. Checked first: an Error's stack is costly.
      req.on('close', () => {
        if (!settled) finish(classifyStreamError(req.rstCode, new Error(`stream closed (code ${req.rstCode})`)));
      });
      req.end(body);
    });
  }

  /** Forget the current connection (after a reason like Shutdown); in-flight streams finish on it. */
  reset(): void {
    const s = this.session;
    this.session = undefined;
    if (s && !s.closed) s.close();
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const s = this.session;
    this.session = undefined;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => s.destroy(), 2_000);
      force.unref();
      s.close(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private track(d: Deadline): void {
    this.deadlines.add(d);
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const x of this.deadlines) if (x.at <= now) x.expire();
      if (this.deadlines.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, this.sweepMs);
    this.sweeper.unref();
  }

  private live(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const s = http2.connect(this.origin, this.options);
    this.opened++;
    const forget = (): void => {
      if (this.session === s) this.session = undefined;
    };
    s.on('error', forget);
    s.on('goaway', forget);
    s.on('close', forget);
    this.session = s;
    return s;
  }

  private drop(): void {
    const s = this.session;
    this.session = undefined;
    if (s && !s.destroyed) s.close();
  }

  private pingIfIdle(interval: number): void {
    const s = this.session;
    if (!s || s.closed || s.destroyed || Date.now() - this.lastActivity < interval) return;
    s.ping((err) => {
      if (err && this.session === s) {
        this.session = undefined;
        s.destroy();
      }
    });
  }
}

function classifyStreamError(rstCode: number | undefined, err: Error): Error {
  if (rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) {
    return new UnprocessedError('stream refused (connection going away)', { cause: err });
  }
  return err;
}
