import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { postWebhook } from './webhook-sender.js';
import { createOutboundGuard } from '../outbound/guard.js';

describe('postWebhook', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url!);
      if (req.url === '/redirect') return res.writeHead(302, { location: 'http://127.0.0.1/elsewhere' }).end();
      if (req.url === '/slow') return; // never answers
      if (req.url === '/fail') return res.writeHead(503).end('down for maintenance');
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const opts = { timeoutMs: 300, guard: createOutboundGuard({ allowPrivate: true }) };
  const strict = { ...opts, guard: createOutboundGuard({ allowPrivate: false }) };

  it('succeeds on 2xx and reports the status and time', async () => {
    const r = await postWebhook(new URL(`${base}/ok`), '{}', {}, opts);
    expect(r.status).toBe(204);
    expect(r.error).toBeUndefined();
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on non-2xx with a snippet of the answer, on redirects and on timeouts', async () => {
    expect(await postWebhook(new URL(`${base}/fail`), '{}', {}, opts)).toMatchObject({ status: 503, error: 'HTTP 503: down for maintenance' });
    expect(await postWebhook(new URL(`${base}/redirect`), '{}', {}, opts)).toMatchObject({ status: 302, error: 'HTTP 302: redirects are not followed' });
    expect(hits).not.toContain('/elsewhere');
    expect((await postWebhook(new URL(`${base}/slow`), '{}', {}, opts)).error).toBe('no answer within 300 ms');
  });

  it('checks the address again at send time unless private addresses are allowed', async () => {
    const before = hits.length;
    const literal = await postWebhook(new URL(`${base}/ok`), '{}', {}, strict);
    expect(literal.error).toBe('not sent: 127.0.0.1 is a loopback address');
    const port = new URL(base).port;
    const named = await postWebhook(new URL(`http://localhost:${port}/ok`), '{}', {}, strict);
    expect(named.error).toBe('not sent: localhost resolves to a loopback address');
    expect(hits.length).toBe(before);
  });
});
