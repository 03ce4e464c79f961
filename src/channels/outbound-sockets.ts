import net, { isIP, type LookupFunction } from 'node:net';
import tls from 'node:tls';
import { buildConnector } from 'undici';

/**
 * How each client library's sockets are made to resolve through the outbound guard's `lookup`
 * (ports/outbound-guard.ts) and connect to the address it answered. node:net skips a `lookup` for a
 * literal address, so passing one as a socket option would let `https://127.0.0.1` through; instead
 * every helper here asks the lookup itself, literal or name, and dials the answer. Without a lookup
 * (the operator's own sandbox emulators) each library connects as it always did.
 */

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** One address from a lookup, as a promise. */
function resolveOne(lookup: LookupFunction, host: string): Promise<string> {
  return new Promise((resolve, reject) =>
    lookup(bare(host), {}, (err, address) => (err ? reject(err) : resolve(Array.isArray(address) ? address[0].address : address))),
  );
}

/**
 * undici's `connect` option (Pool, Agent): its own connector, whose `hostname` is replaced by the
 * guarded address. The TLS server name and certificate check still use the URL's name (undici derives
 * them from `host`, which is left alone). `opts` are what undici would have built its connector with;
 * `allowH2` must be among them, since an Agent does not pass its own to a connector function.
 */
export function undiciConnect(lookup: LookupFunction | undefined, opts: buildConnector.BuildOptions): buildConnector.BuildOptions | buildConnector.connector {
  if (!lookup) return opts;
  const connect = buildConnector(opts);
  return (options, callback) => {
    resolveOne(lookup, options.hostname).then(
      (address) => connect({ ...options, hostname: address }, callback),
      (err: Error) => callback(err, null),
    );
  };
}

/**
 * node:http2's `createConnection` for an https origin: a TLS socket over a TCP socket that connects only
 * once the lookup has answered (TLS waits for it). A refusal destroys the socket with the lookup's
 * error, which the session reports as its own.
 */
export function http2Connection(lookup: LookupFunction, origin: URL, tlsOptions: tls.ConnectionOptions): () => tls.TLSSocket {
  const host = bare(origin.hostname);
  const port = Number(origin.port || 443);
  return () => {
    const raw = new net.Socket();
    resolveOne(lookup, host).then(
      (address) => {
        if (!raw.destroyed) raw.connect(port, address);
      },
      (err: Error) => raw.destroy(err),
    );
    // `host` (not `servername` alone) is what the certificate is checked against when the origin is a literal address.
    return tls.connect({ ...tlsOptions, socket: raw, host, servername: isIP(host) ? undefined : host, ALPNProtocols: ['h2'] });
  };
}

/** What nodemailer's `getSocket` is handed (the transport's options); only these are read. */
interface SmtpSocketRequest {
  host?: string;
  port?: number;
  connectionTimeout?: number;
}

/**
 * nodemailer's `getSocket` transport option: a TCP connection to the guarded address, which nodemailer
 * takes as already open (it still does implicit TLS or STARTTLS on it, with `host` as the server name).
 * Called once per pooled connection, so every new connection is checked again.
 */
export function smtpGetSocket(lookup: LookupFunction, timeoutMs: number) {
  return (options: SmtpSocketRequest, callback: (err: Error | null, socketOptions?: { connection: net.Socket }) => void): void => {
    const host = options.host ?? 'localhost';
    resolveOne(lookup, host).then(
      (address) => {
        const socket = net.connect({ host: address, port: options.port ?? 25 });
        const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connection to ${host} timed out`), { code: 'ETIMEDOUT' })), options.connectionTimeout ?? timeoutMs);
        const fail = (err: Error) => {
          clearTimeout(timer);
          callback(err);
        };
        socket.once('error', fail);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.off('error', fail);
          callback(null, { connection: socket });
        });
      },
      (err: Error) => callback(err),
    );
  };
}
