import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

/** A trace from the API's accept to the provider's answer, over OTLP/HTTP to a local collector. */
describe('OpenTelemetry tracing', () => {
  let h: TestHerald;
  let collector: Server;
  const spans: OtlpSpan[] = [];
  let contentTypes = new Set<string>();

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        contentTypes.add(String(req.headers['content-type']));
        if (req.url === '/v1/traces') {
          for (const rs of JSON.parse(body).resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    h = await startTestHerald('sqlite', { OTEL_EXPORTER_OTLP_ENDPOINT: url });
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise((r) => collector?.close(r));
  });

  it('links the worker’s provider call to the API’s accept span', async () => {
    const r = await h.api('POST', '/v1/notifications', { to: { email: 'trace@example.com' }, content: { email: { subject: 's', text: 't' } } });
    const deliveryId = r.body.deliveries[0].id;
    const deliver = await eventually(async () =>
      spans.find((s) => s.name === 'herald.deliver' && s.attributes.some((a) => a.key === 'herald.delivery_id' && a.value.stringValue === deliveryId)),
    );
    const accept = spans.find((s) => s.name === 'herald.accept' && s.traceId === deliver.traceId);
    expect(accept).toBeDefined();
    expect(deliver.parentSpanId).toBe(accept!.spanId);
    expect(deliver.attributes.find((a) => a.key === 'herald.outcome')?.value.stringValue).toBe('sent');
    expect([...contentTypes][0]).toContain('json');
  });
});
