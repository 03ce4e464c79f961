import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HIDDEN, formOf, isHttps, seeOther, sendPage, sessionOf, type DashCtx } from './context.js';
import { html, layout, notice, type Html } from './html.js';
import { SESSION_COOKIE, SESSION_TTL_MS, SIGNIN_COOKIE, readCookies, setCookie, signinCookie } from './session.js';
import { clientAddress } from '../auth-failures.js';

const FIELD_MAX = 200;

function signInPage(opts: { token: string; key?: string; message?: Html; error?: string }): string {
  const invalid = opts.error ? html` aria-invalid="true" aria-describedby="signin-error"` : html``;
  return layout({
    title: 'Sign in',
    body: html`<h1>Sign in to the dashboard</h1>
<p>Use an app's key and secret: the first <code>npm start</code> prints them once (both are kept in <code>data/credentials.json</code>, readable by its owner only), and <code>herald apps create NAME</code> makes a new app.</p>
${opts.message ?? ''}
${opts.error ? html`<p class="notice error" role="alert" id="signin-error">${opts.error}</p>` : ''}
<form method="post" action="/" class="card narrow">
<input type="hidden" name="signin" value="${opts.token}">
<div class="field"><label for="key">App key</label><input id="key" name="key" autocomplete="username" autocapitalize="off" spellcheck="false" required maxlength="${FIELD_MAX}" value="${opts.key ?? ''}"${invalid}></div>
<div class="field"><label for="secret">App secret</label><input id="secret" name="secret" type="password" autocomplete="current-password" required maxlength="${FIELD_MAX}"${invalid}></div>
<button type="submit">Sign in</button>
</form>`,
  });
}

/** A browser's form post asks for HTML; a script that does not gets the API's error envelope. */
const wantsHtml = (req: FastifyRequest) => /text\/html/i.test(String(req.headers.accept ?? ''));

/** The sign-in nonce cookie's value, made afresh when absent or malformed. */
function signinNonce(req: FastifyRequest, reply: FastifyReply, ctx: DashCtx, fresh = false): string {
  const have = readCookies(req.headers.cookie).get(SIGNIN_COOKIE);
  if (!fresh && have && /^[A-Za-z0-9_-]{22}$/.test(have)) return have;
  const nonce = ctx.sessions.newSigninNonce();
  reply.header('set-cookie', signinCookie(nonce, isHttps(req)));
  return nonce;
}

/** `GET /`: the sign-in form (or the overview when already signed in); `POST /` signs in. */
export async function signInRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  app.get('/', HIDDEN, async (req, reply) => {
    if (await sessionOf(req, ctx)) return seeOther(reply, '/dashboard');
    const token = ctx.sessions.signinToken(signinNonce(req, reply, ctx));
    const signedOut = (req.query as Record<string, unknown>)?.signed_out === '1';
    return sendPage(reply, signInPage({ token, message: signedOut ? notice('You are signed out.') : undefined }));
  });

  app.post('/', HIDDEN, async (req, reply) => {
    const form = formOf(req);
    const key = (form.get('key') ?? '').trim().slice(0, FIELD_MAX);
    const secret = (form.get('secret') ?? '').trim().slice(0, FIELD_MAX);
    if (!ctx.sessions.checkSignin(readCookies(req.headers.cookie).get(SIGNIN_COOKIE), form.get('signin'))) {
      // No nonce cookie (cookies blocked, or it expired) or a form from elsewhere: a fresh form.
      const token = ctx.sessions.signinToken(signinNonce(req, reply, ctx, true));
      return sendPage(reply, signInPage({ token, key, error: 'The sign-in form expired or did not come from this page (the dashboard needs cookies). Please try again.' }), { status: 403 });
    }
    // The API's failed-authentication limit, shared with it: the same address gets no more guesses here.
    const address = clientAddress(req.ip);
    const refused = ctx.deps.authFailures.refusal(address);
    if (refused) {
      reply.headers(refused.headers!);
      if (!wantsHtml(req)) return reply.status(429).send(refused.toJSON());
      const token = ctx.sessions.signinToken(signinNonce(req, reply, ctx));
      const wait = refused.headers!['retry-after'];
      return sendPage(reply, signInPage({ token, key, error: `Too many failed sign-ins from your address. Try again in ${wait} seconds.` }), { status: 429 });
    }
    const found = key && secret ? await ctx.deps.apps.authenticate(key, secret) : undefined;
    if (!found) {
      ctx.deps.authFailures.record(address);
      const token = ctx.sessions.signinToken(signinNonce(req, reply, ctx));
      return sendPage(reply, signInPage({ token, key, error: 'Unknown app key or wrong secret.' }), { status: 401 });
    }
    const secure = isHttps(req);
    const { cookie } = ctx.sessions.create(found.id, found.secret_hash, ctx.deps.clock.now());
    reply.header('set-cookie', [setCookie(SESSION_COOKIE, cookie, { maxAgeS: SESSION_TTL_MS / 1000, secure }), setCookie(SIGNIN_COOKIE, '', { maxAgeS: 0, secure })]);
    return seeOther(reply, '/dashboard');
  });
}

/** `POST /dashboard/sign-out` (CSRF-checked like every dashboard form): the cookie is cleared. */
export async function signOutRoute(app: FastifyInstance, _ctx: DashCtx): Promise<void> {
  app.post('/sign-out', HIDDEN, async (req, reply) => {
    reply.header('set-cookie', setCookie(SESSION_COOKIE, '', { maxAgeS: 0, secure: isHttps(req) }));
    return seeOther(reply, '/?signed_out=1');
  });
}
