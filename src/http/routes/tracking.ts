import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consentStrings } from '../../domain/consent-strings.js';
import { CHANNELS, type Channel } from '../../domain/delivery.js';
import { ApiError, badRequest, notFound } from '../../domain/errors.js';
import { TrackService, type PreferenceForm } from '../../services/track.js';
import type { HttpDeps } from '../deps.js';
import { PAGE_HEADERS, invalidLinkPage, preferencePage } from '../preference-page.js';

/** The smallest transparent GIF (1×1). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_CACHE = 'no-store, no-cache, must-revalidate, max-age=0';
const FORM_LIMIT = 64 * 1024;

const invalidLink = () => notFound('invalid_link', 'this link is not valid');

/**
 * The links in emails (SPEC §6): `GET /t/o/{token}` open pixel, `GET /t/c/{token}` click redirect,
 * `POST /u/{token}` RFC 8058 one-click unsubscribe, `GET /u/{token}` the preference page and
 * `POST /u/{token}/preferences` its form. No credentials: the signed token is the authority, and a
 * forged or altered one changes nothing. Tokens are longer than the router's 100-character limit
 * for `:params`, hence the wildcards. Hidden from the OpenAPI document: mail clients and end users
 * call these, not API clients.
 */
export async function trackingRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const track = new TrackService(deps.store, deps.clock, deps.config.secretKey);

  await app.register(async (t) => {
    // RFC 8058 posts form data (either encoding); the page's form posts urlencoded. Kept as text here.
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
      t.addContentTypeParser(type, { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => done(null, body));
    }
    const hidden = { schema: { hide: true } };

    t.get('/t/o/*', hidden, async (req, reply) => {
      try {
        // HEAD (Fastify answers it with this handler) is a link checker, not a reader: nothing to count.
        if (req.method === 'GET') await track.open(wildcard(req));
      } catch (err) {
        // The image is served regardless: a failed count must not show a broken image.
        req.log.error({ err }, 'recording an open failed');
      }
      return reply.headers({ 'content-type': 'image/gif', 'cache-control': NO_CACHE, pragma: 'no-cache' }).send(PIXEL);
    });

    t.get('/t/c/*', hidden, async (req, reply) => {
      const click = track.click(wildcard(req));
      if (!click) throw invalidLink();
      try {
        if (req.method === 'GET') await click.record();
      } catch (err) {
        // The reader still gets where they clicked; only the count is lost.
        req.log.error({ err }, 'recording a click failed');
      }
      return reply.status(302).headers({ location: locationHeader(click.url), 'cache-control': NO_CACHE, 'referrer-policy': 'no-referrer' }).send();
    });

    t.get('/u/*', hidden, async (req, reply) => {
      const raw = wildcard(req);
      const token = track.unsubscribeToken(raw);
      const view = token && (await track.view(token));
      if (!token || !view) return reply.status(404).headers(PAGE_HEADERS).send(invalidLinkPage(consentStrings(acceptLanguage(req))));
      const saved = (req.query as Record<string, unknown>)?.saved === '1';
      return reply.headers(PAGE_HEADERS).send(preferencePage(consentStrings(view.user.locale ?? acceptLanguage(req)), raw, view, saved));
    });

    t.post('/u/*', hidden, async (req, reply) => {
      const rest = wildcard(req);
      if (rest.endsWith('/preferences')) return savePreferences(req, reply, rest.slice(0, -'/preferences'.length));
      const token = rest.includes('/') ? undefined : track.unsubscribeToken(rest);
      if (!token) throw invalidLink();
      if (!isOneClick(req.body)) {
        throw badRequest('invalid_request', 'a one-click unsubscribe posts the form body List-Unsubscribe=One-Click (RFC 8058)');
      }
      if (!(await track.unsubscribe(token))) throw invalidLink();
      // RFC 8058: answer the POST itself; no redirect, no page to visit.
      return reply.headers({ 'cache-control': NO_CACHE }).send({ unsubscribed: true, channel: 'email', category: token.category });
    });
  });

  async function savePreferences(req: FastifyRequest, reply: FastifyReply, raw: string) {
    const token = raw.includes('/') ? undefined : track.unsubscribeToken(raw);
    if (!token) return reply.status(404).headers(PAGE_HEADERS).send(invalidLinkPage(consentStrings(acceptLanguage(req))));
    const form = parseForm(req.body);
    const view = await track.save(token, form);
    if (!view) return reply.status(404).headers(PAGE_HEADERS).send(invalidLinkPage(consentStrings(acceptLanguage(req))));
    // Relative to /u/{token}/preferences, so it holds behind a proxy that mounts Herald under a path.
    return reply.status(303).headers({ location: `../${raw}?saved=1`, 'cache-control': NO_CACHE }).send();
  }
}

function wildcard(req: FastifyRequest): string {
  const v = (req.params as Record<string, unknown>)['*'];
  return typeof v === 'string' ? v : '';
}

/** The page's form: ticked boxes only, and only ours; a body without the form's marker is refused. */
function parseForm(body: unknown): PreferenceForm {
  if (typeof body !== 'string') throw new ApiError(415, 'unsupported_media_type', 'post the preference form as application/x-www-form-urlencoded');
  const fields = new URLSearchParams(body);
  if (fields.get('form') !== 'preferences') throw badRequest('invalid_request', 'not the preference form');
  const channels = new Set<Channel>();
  const categories = new Set<string>();
  for (const [name, value] of fields) {
    if (value !== 'on') continue;
    if (name.startsWith('channel.')) {
      const ch = name.slice('channel.'.length) as Channel;
      if (CHANNELS.includes(ch)) channels.add(ch);
    } else if (name.startsWith('category.') && name.length <= 200) {
      // TrackService looks up `${category}.${channel}` for the categories it offered; anything else is ignored.
      categories.add(name.slice('category.'.length));
    }
  }
  return { channels, categories };
}

/** RFC 8058 §3.1: the POST carries List-Unsubscribe=One-Click, urlencoded or as a multipart field. */
function isOneClick(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  if (new URLSearchParams(body).get('List-Unsubscribe') === 'One-Click') return true;
  return /name="?List-Unsubscribe"?\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n/i.test(body);
}

/** The signed URL as given when it is plain ASCII (the exact original); otherwise percent-encoded so it is a valid header. */
function locationHeader(url: string): string {
  if (/^[\x21-\x7e]+$/.test(url)) return url;
  try {
    return new URL(url).href;
  } catch {
    throw invalidLink();
  }
}

/** The browser's first language, for pages shown without a user (bad link) or for a user without a locale. */
function acceptLanguage(req: FastifyRequest): string | undefined {
  const first = req.headers['accept-language']?.split(',')[0]?.split(';')[0]?.trim();
  return first && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : undefined;
}
