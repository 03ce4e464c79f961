import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance } from 'fastify';
import type { SandboxMessage } from '../../channels/sandbox/sandbox-outbox.js';
import { escapeHtml } from '../../services/html-escape.js';
import type { SendRequest } from '../../services/send-request.js';
import { SendBody } from '../routes/notifications.js';
import { HIDDEN, formOf, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { enc, html, layout, notice, postForm, showTime, time, type Html } from './html.js';

const SHOWN_PER_CHANNEL = 50;
const UUID = /^[0-9a-fA-F-]{36}$/;
const PLATFORM_LABEL: Record<string, string> = { ios: 'iOS', android: 'Android', web: 'Web browsers' };
const sendCheck = TypeCompiler.Compile(SendBody);
/**
 * Put before each email's HTML in its iframe (a sandboxed srcdoc: no scripts, no forms, an opaque
 * origin). The page's own policy is inherited too; this one holds even where it is not: the email's
 * styles apply, but nothing loads from anywhere — so looking at the mailbox never fires the open pixel.
 */
const MAIL_CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;

interface TestForm {
  email: string;
  phone: string;
  user_id: string;
  title: string;
  message: string;
}

const DEFAULT_FORM: TestForm = { email: '', phone: '', user_id: '', title: 'Hello from Herald', message: 'It works.' };
const at = (iso: string) => time(Date.parse(iso));

/** The form as a send request (inline content, every channel the recipient can take), or what is wrong with it. */
export function testRequest(f: TestForm): { req?: SendRequest; error?: string } {
  if (!f.title || !f.message) return { error: 'Give the test a title and a message.' };
  if (f.user_id && (f.email || f.phone)) return { error: 'Send to an email address and/or a phone number, or to a user id — not both.' };
  if (!f.user_id && !f.email && !f.phone) return { error: 'Give an email address, a phone number or a user id to send to.' };
  const email = { subject: f.title, text: f.message, html: `<p>${escapeHtml(f.message).replace(/\n/g, '<br>')}</p>` };
  const req: SendRequest = f.user_id
    ? { user_id: f.user_id, content: { push: { title: f.title, body: f.message }, sms: { text: f.message }, email } }
    : {
        to: { ...(f.email ? { email: f.email } : {}), ...(f.phone ? { phone: f.phone } : {}) },
        content: { ...(f.phone ? { sms: { text: f.message } } : {}), ...(f.email ? { email } : {}) },
      };
  if (!sendCheck.Check(req)) {
    const e = sendCheck.Errors(req).First();
    const where = (e?.path ?? '').split('/').filter(Boolean).join('.');
    return { error: `${where.startsWith('user_id') ? 'User id' : where || 'The test'}: ${e?.message ?? 'is invalid'}` };
  }
  return { req };
}

function sendForm(csrf: string, f: TestForm, error?: string): Html {
  const input = (name: keyof TestForm, label: string, type = 'text', extra: Html = html``) =>
    html`<div class="field"><label for="t-${name}">${label}</label><input id="t-${name}" name="${name}" type="${type}" value="${f[name]}" autocomplete="off" spellcheck="false"${extra}></div>`;
  return html`<section aria-labelledby="send-h" class="card">
<h2 id="send-h">Send a test</h2>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
${postForm(
  '/dashboard/sandbox/send',
  csrf,
  html`<fieldset><legend>To</legend>
<p class="hint" id="to-hint">An email address and/or a phone number; or the id of a user, to reach every channel and device they have. Test recipients such as <code>down@example.com</code> make the sandbox fail (see the README).</p>
<div class="row">${input('email', 'Email address', 'email', html` aria-describedby="to-hint"`)}${input('phone', 'Phone number (E.164, e.g. +14155552671)', 'tel', html` aria-describedby="to-hint"`)}${input('user_id', 'or a user id', 'text', html` aria-describedby="to-hint"`)}</div>
</fieldset>
${input('title', 'Title (push) and subject (email)', 'text', html` required maxlength="200"`)}
<div class="field"><label for="t-message">Message</label><textarea id="t-message" name="message" rows="3" required maxlength="1000">${f.message}</textarea></div>
<button type="submit">Send test</button>`,
)}
</section>`;
}

function phones(sms: SandboxMessage[]): Html {
  if (!sms.length) return html`<p>No text messages yet.</p>`;
  const byNumber = new Map<string, SandboxMessage[]>();
  for (const m of sms) byNumber.set(m.to, [...(byNumber.get(m.to) ?? []), m]);
  return html`<div class="phones">${[...byNumber].map(
    ([number, ms], i) => html`<article class="phone" aria-labelledby="phone-${i}">
<h4 id="phone-${i}">${number}</h4>
<ol class="bubbles">${[...ms].reverse().map((m) => html`<li><p class="bubble">${m.sms?.text ?? ''}</p><p class="meta">${at(m.at)} · ${m.provider}</p></li>`)}</ol>
</article>`,
  )}</div>`;
}

function mailbox(mail: SandboxMessage[]): Html {
  if (!mail.length) return html`<p>No email yet.</p>`;
  return html`<ol class="mails">${mail.map(
    (m, i) => html`<li><article class="mail card" aria-labelledby="mail-${i}">
<h4 id="mail-${i}">${m.email?.subject ?? '(no subject)'}</h4>
<p class="meta">To ${m.to} · ${at(m.at)} · ${m.provider}</p>
${
  m.email?.html
    ? html`<iframe sandbox="" referrerpolicy="no-referrer" title="Email “${m.email.subject}”" srcdoc="${MAIL_CSP + m.email.html}"></iframe>
<details><summary>Text version<span class="visually-hidden"> of “${m.email.subject}”</span></summary><pre class="mail-text">${m.email.text}</pre></details>`
    : html`<pre class="mail-text">${m.email?.text ?? ''}</pre>`
}
</article></li>`,
  )}</ol>`;
}

function devices(push: SandboxMessage[]): Html {
  if (!push.length) return html`<p>No push notifications yet.</p>`;
  const byPlatform = new Map<string, SandboxMessage[]>();
  for (const m of push) byPlatform.set(m.platform ?? 'unknown', [...(byPlatform.get(m.platform ?? 'unknown') ?? []), m]);
  return html`<div class="devices">${[...byPlatform].map(
    ([platform, ms]) => html`<section class="device" aria-label="${PLATFORM_LABEL[platform] ?? platform} notification centre">
<h4>${PLATFORM_LABEL[platform] ?? platform}</h4>
<ol class="pushes">${ms.map(
      (m) => html`<li class="push"><p class="push-title">${m.push?.title ?? ''}</p>${m.push?.body ? html`<p>${m.push.body}</p>` : ''}<p class="meta">${at(m.at)} · to device …${m.to.slice(-8)}</p></li>`,
    )}</ol>
</section>`,
  )}</div>`;
}

function inbox(ctx: DashCtx, appId: string): { version: string; html: Html } {
  const all = ctx.deps.outbox!.list(appId, 500);
  const of = (channel: string) => all.filter((m) => m.channel === channel).slice(0, SHOWN_PER_CHANNEL);
  const newest = all[0];
  const version = `${all.length}:${newest ? `${newest.deliveryId}@${newest.at}` : ''}`;
  return {
    version,
    html: html`<div id="inbox">
<p class="hint">${newest ? html`Newest message ${at(newest.at)}.` : 'Nothing received yet.'} Newest first; the ${SHOWN_PER_CHANNEL} latest per channel.</p>
<section aria-labelledby="sms-h"><h3 id="sms-h">Phones</h3>${phones(of('sms'))}</section>
<section aria-labelledby="mail-h"><h3 id="mail-h">Mailboxes</h3>${mailbox(of('email'))}</section>
<section aria-labelledby="push-h"><h3 id="push-h">Device notification centres</h3>${devices(of('push'))}</section>
</div>`,
  };
}

async function sentNotice(ctx: DashCtx, appId: string, id: string): Promise<Html> {
  const found = UUID.test(id) ? await ctx.deps.store.notifications.get(appId, id.toLowerCase()) : undefined;
  if (!found) return html``;
  return notice(
    html`Test sent: notification <a href="/dashboard/notifications/${enc(found.notification.id)}" class="mono">${found.notification.id}</a> (its timeline). Deliveries: ${found.deliveries
      .map((d) => `${d.channel} to ${d.to_addr} (${d.status}${d.reason ? `, ${d.reason}` : ''})`)
      .join('; ')}.`,
  );
}

function sandboxPage(ctx: DashCtx, nav: ReturnType<typeof navFor>, appId: string, form: Html, sent: Html): string {
  const box = inbox(ctx, appId);
  return layout({
    title: 'Sandbox',
    nav,
    live: true,
    body: html`<h1>Sandbox</h1>
<p>Every channel goes to Herald's built-in provider emulators: here is what each phone, mailbox and device received.</p>
${sent}
${form}
<section aria-labelledby="inbox-h" class="live" data-live="/dashboard/api/sandbox" data-version="${box.version}">
<h2 id="inbox-h">Received</h2>
<p class="updated"><span class="nojs">Reload the page to see newer messages.</span> <button type="button" class="secondary" data-live-toggle hidden aria-pressed="false">Pause live updates</button></p>
<p class="live-status" data-live-status role="status"></p>
${box.html}
</section>`,
  });
}

/** `GET /dashboard/sandbox`, its script's `GET /dashboard/api/sandbox?v=…`, and `POST /dashboard/sandbox/send`. Only in sandbox mode. */
export async function sandboxPageRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { outbox, sandbox, send } = ctx.deps;
  if (!sandbox || !outbox) return;

  app.get('/sandbox', HIDDEN, async (req, reply) => {
    const s = signedIn(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const sent = typeof q.sent === 'string' ? await sentNotice(ctx, s.app.id, q.sent) : html``;
    return sendPage(reply, sandboxPage(ctx, navFor(req, ctx, 'sandbox'), s.app.id, sendForm(s.csrf, DEFAULT_FORM), sent), { inlineStyles: true });
  });

  app.get('/api/sandbox', HIDDEN, async (req, reply) => {
    const box = inbox(ctx, signedIn(req).app.id);
    const v = (req.query as Record<string, unknown> | undefined)?.v;
    reply.header('cache-control', 'no-store');
    return v === box.version ? { version: box.version, at: showTime(Date.now()) } : { version: box.version, fragments: { inbox: box.html.value } };
  });

  app.post('/sandbox/send', HIDDEN, async (req, reply) => {
    const s = signedIn(req);
    const body = formOf(req);
    const field = (k: keyof TestForm, max: number) => (body.get(k) ?? '').trim().slice(0, max);
    const f: TestForm = { email: field('email', 254), phone: field('phone', 32), user_id: field('user_id', 200), title: field('title', 200), message: field('message', 1000) };
    const built = testRequest(f);
    const r = built.req ? await send.send({ id: s.app.id, name: s.app.name }, built.req) : undefined;
    if (r?.ok) return seeOther(reply, `/dashboard/sandbox?sent=${enc(r.body.id)}`);
    const error = built.error ?? r?.error?.message ?? 'The test could not be sent.';
    return sendPage(reply, sandboxPage(ctx, navFor(req, ctx, 'sandbox'), s.app.id, sendForm(s.csrf, f, error), html``), { status: 400, inlineStyles: true });
  });
}
