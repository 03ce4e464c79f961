import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import { Pool } from 'undici';
import { OutboundRefused, outboundRefusal } from '../domain/outbound-refused.js';
import { createOutboundGuard, type Resolver } from '../outbound/guard.js';
import { generatePushTlsMaterial, type PushTlsMaterial } from '../emulators/shared/push-tls.js';
import { http2Connection, smtpGetSocket, undiciConnect } from './outbound-sockets.js';

// Real sockets on loopback only. Each listener counts the connections it accepts: with the guard
// enforcing, every count must stay 0. "rebind.test" answers loopback to the socket's lookup (the
// registration-time answer in guard.test.ts is the public one; nothing here dials it).
const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
const strict = createOutboundGuard({ allowPrivate: false, resolve: toLoopback });
const open = createOutboundGuard({ allowPrivate: true });

interface Listener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

function tcpListener(host: string): Promise<Listener> {
  const sockets = new Set<Socket>();
  const l = { port: 0, connections: 0, close: async () => {} };
  const server = net.createServer((s) => {
    l.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.end('220 hello\r\n');
  });
  return new Promise((resolve) =>
    server.listen(0, host, () => {
      l.port = (server.address() as net.AddressInfo).port;
      l.close = () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((r) => server.close(() => r()));
      };
      resolve(l);
    }),
  );
}

describe('guarded sockets', () => {
  let v4: Listener;
  let v6: Listener | undefined;
  let tls: PushTlsMaterial;
  beforeAll(async () => {
    v4 = await tcpListener('127.0.0.1');
    v6 = await tcpListener('::1').catch(() => undefined); // a host without IPv6 skips the ::1 cases
    tls = await generatePushTlsMaterial();
  });
  afterAll(async () => {
    await v4?.close();
    await v6?.close();
  });

  const refusedBy = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outboundRefusal(err), String(err)).toBeInstanceOf(OutboundRefused);
  };

  it('undici: refuses literal, bracketed, mapped and named loopback before connecting', async () => {
    const origins = [
      `http://127.0.0.1:${v4.port}`,
      `http://[::ffff:127.0.0.1]:${v4.port}`,
      `http://2130706433:${v4.port}`,
      `http://localhost:${v4.port}`,
      `http://rebind.test:${v4.port}`,
      ...(v6 ? [`http://[::1]:${v6.port}`] : []),
    ];
    for (const origin of origins) {
      const pool = new Pool(origin, { connect: undiciConnect(strict.lookup, {}) });
      await refusedBy(pool.request({ method: 'GET', path: '/' }));
      await pool.close();
    }
    expect(v4.connections).toBe(0);
    expect(v6?.connections ?? 0).toBe(0);
  });

  it('undici: an allowed name is dialled at the address the guard answered, with TLS checked against the name', async () => {
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // The certificate is for "localhost"; undici connects to 127.0.0.1 and still verifies "localhost".
      const pool = new Pool(`https://localhost:${port}`, { connect: undiciConnect(open.lookup, { ca: tls.cert }) });
      const res = await pool.request({ method: 'GET', path: '/' });
      expect(await res.body.text()).toBe('ok');
      await pool.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('http2 (APNs): a refused origin errors the session and never connects; an allowed one works', async () => {
    for (const origin of [`https://127.0.0.1:${v4.port}`, `https://localhost:${v4.port}`, `https://rebind.test:${v4.port}`]) {
      const session = http2.connect(origin, { createConnection: http2Connection(strict.lookup, new URL(origin), {}) });
      const err = await new Promise<Error>((resolve) => session.on('error', resolve));
      expect(err).toBeInstanceOf(OutboundRefused);
      session.destroy();
    }
    expect(v4.connections).toBe(0);

    const server = http2.createSecureServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('h2 ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const origin = `https://localhost:${(server.address() as net.AddressInfo).port}`;
    const session = http2.connect(origin, { createConnection: http2Connection(open.lookup, new URL(origin), { ca: tls.cert }) });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (text += c));
        req.on('end', () => resolve(text));
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('h2 ok');
    } finally {
      session.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('nodemailer getSocket (SMTP): refuses loopback hosts, connects when private networks are allowed', async () => {
    const get = (guard: typeof strict, host: string, port: number) =>
      new Promise<net.Socket>((resolve, reject) => smtpGetSocket(guard.lookup, 2_000)({ host, port }, (err, s) => (err ? reject(err) : resolve(s!.connection))));
    for (const host of ['127.0.0.1', 'localhost', '2130706433', '0177.0.0.1', '[::1]', 'rebind.test']) await refusedBy(get(strict, host, v4.port));
    expect(v4.connections).toBe(0);
    const socket = await get(open, '127.0.0.1', v4.port);
    socket.destroy();
    expect(v4.connections).toBe(1);
  });
});
