import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import { ReceiptService, type ReceiptOutcome } from '../../services/receipts.js';
import type { HttpDeps } from '../deps.js';

function formToObject(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

function answer(reply: FastifyReply, r: ReceiptOutcome) {
  if (r.status !== 200) throw new ApiError(r.status, r.status === 401 ? 'unsigned_receipt' : r.status === 403 ? 'forged_receipt' : 'invalid_receipt', r.message);
  return reply.status(200).send({ ok: true, applied: r.applied ?? 0 });
}

/**
 * Delivery receipts: /hooks/twilio (form, X-Twilio-Signature), /hooks/sendgrid (JSON events, ECDSA
 * signature over the raw body), /hooks/vonage (GET query, form or JSON, signed with `sig`). These
 * routes take no app credentials; the providers' signatures are the authentication.
 */
export async function hookRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const receipts = new ReceiptService(deps.store, deps.providerSource, deps.clock);

  await app.register(async (hooks) => {
    // The raw bytes are what SendGrid signed; re-serialised JSON would not verify.
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    hooks.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) =>
      done(null, formToObject(body as string)),
    );

    hooks.post('/hooks/twilio', { schema: { tags: ['hooks'], hide: false } }, async (req, reply) => {
      const params = (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : {}) as Record<string, string>;
      // Twilio signs the URL it was given: the public one, not whatever proxy rewrote it to.
      const url = `${deps.config.publicUrl}/hooks/twilio`;
      return answer(reply, await receipts.twilio(params, req.headers['x-twilio-signature'] as string | undefined, url));
    });

    hooks.post('/hooks/sendgrid', { schema: { tags: ['hooks'] } }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : '');
      return answer(
        reply,
        await receipts.sendgrid(raw, req.headers['x-twilio-email-event-webhook-signature'] as string | undefined, req.headers['x-twilio-email-event-webhook-timestamp'] as string | undefined),
      );
    });

    const vonage = async (params: Record<string, string>, reply: FastifyReply) => answer(reply, await receipts.vonage(params));
    hooks.get('/hooks/vonage', { schema: { tags: ['hooks'] } }, async (req, reply) => vonage(req.query as Record<string, string>, reply));
    hooks.post('/hooks/vonage', { schema: { tags: ['hooks'] } }, async (req, reply) => {
      let params: Record<string, string> = {};
      if (Buffer.isBuffer(req.body)) {
        try {
          const parsed = JSON.parse(req.body.toString('utf8'));
          params = Object.fromEntries(Object.entries(parsed ?? {}).map(([k, v]) => [k, String(v)]));
        } catch {
          throw new ApiError(400, 'invalid_json', 'body is not JSON');
        }
      } else if (req.body && typeof req.body === 'object') params = req.body as Record<string, string>;
      return vonage(params, reply);
    });
  });
}
