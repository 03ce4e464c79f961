import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';
import { LinkTokens } from '../src/services/link-tokens.js';

const SHOP = 'https://shop.example.com/items?id=7&ref=mail#reviews';
const PLAIN = 'https://example.org/plain';
const HTML =
  `<html><body><p>Hi {{ user.name }}</p><p><a class="cta" href="https://shop.example.com/items?id=7&amp;ref=mail#reviews">Item</a> ` +
  `and <a href='${PLAIN}'>more</a>, or write to <a href="mailto:help@example.com">us</a>.</p></body></html>`;

interface Mail {
  html?: string;
  text?: string;
  headers: Record<string, string>;
}

/** Email tracking, opens, clicks and unsubscribe through HTTP against one database. */
export function trackingSuite(db: DbKind): void {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald(db);
    const t = await h.api('PUT', '/v1/templates/digest', { category: 'news', channels: { email: { subject: 'Your digest', html: HTML } } });
    expect(t.status).toBeLessThan(300);
    for (const [id, locale] of [['tina', 'en'], ['karl', 'de-AT'], ['mia', null], ['otto', 'ko']] as const) {
      expect((await h.api('PUT', `/v1/users/${id}`, { email: `${id}@example.com`, name: id, locale })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Sends, waits for the mail at the SendGrid emulator; answers the notification and email delivery ids and the mail. */
  async function sendMail(body: Record<string, unknown>): Promise<{ id: string; deliveryId: string; mail: Mail }> {
    const r = await h.api('POST', '/v1/notifications', body);
    expect(r.status).toBe(202);
    const deliveryId = r.body.deliveries.find((d: any) => d.channel === 'email').id;
    const mail = await eventually(async () => h.herald.emulators!.sendgrid.received.find((m) => m.customArgs.herald_delivery_id === deliveryId));
    return { id: r.body.id, deliveryId, mail };
  }
  const links = (html: string, kind: 't/c' | 't/o' | 'u') => [...html.matchAll(new RegExp(`(?:href|src)="(${h.url}/${kind}/[^"]+)"`, 'g'))].map((m) => m[1]);
  const emailDelivery = async (id: string) => (await h.api('GET', `/v1/notifications/${id}`)).body.deliveries.find((d: any) => d.channel === 'email');
  const eventsOf = (d: any, type: string) => d.events.filter((e: any) => e.type === type);
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { redirect: 'manual', headers });
  const oneClick = (url: string, body = 'List-Unsubscribe=One-Click') =>
    fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const prefsOf = async (user: string) => (await h.api('GET', `/v1/users/${user}/preferences`)).body;

  let tina: { id: string; deliveryId: string; mail: Mail };

  it('rewrites links, adds the open pixel, the preference footer and the List-Unsubscribe headers', async () => {
    tina = await sendMail({ user_id: 'tina', template: 'digest' });
    const { html, text, headers } = tina.mail;
    expect(html).toBeDefined();
    const clicks = links(html!, 't/c');
    expect(clicks).toHaveLength(2);
    expect(html).not.toContain('shop.example.com');
    expect(html).not.toContain(PLAIN);
    expect(html).toContain('href="mailto:help@example.com"');
    expect(html).toContain('class="cta"');
    expect(html).toMatch(new RegExp(`<img src="${h.url}/t/o/[^"]+" width="1" height="1" alt="" style="display:none"></body></html>$`));
    const [unsub] = links(html!, 'u');
    expect(unsub).toBeDefined();
    expect(text).toContain(unsub);
    expect(headers['List-Unsubscribe']).toBe(`<${unsub}>`);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('redirects clicks to the exact original URL and records the first click once', async () => {
    const [shop, plain] = links(tina.mail.html!, 't/c');
    const r = await get(shop);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(SHOP);
    expect((await get(plain)).headers.get('location')).toBe(PLAIN);
    await get(shop);
    // A link checker's HEAD is answered but not counted.
    expect((await fetch(shop, { method: 'HEAD', redirect: 'manual' })).status).toBe(302);
    const d = await emailDelivery(tina.id);
    expect(d.click_count).toBe(3);
    expect(eventsOf(d, 'clicked')).toHaveLength(1);
    expect(eventsOf(d, 'clicked')[0].data).toEqual({ url: SHOP });
  });

  it('serves the pixel and counts opens, with one opened event', async () => {
    const [pixel] = links(tina.mail.html!, 't/o');
    for (let i = 0; i < 2; i++) {
      const r = await get(pixel);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/gif');
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(Buffer.from(await r.arrayBuffer()).subarray(0, 6).toString()).toBe('GIF89a');
    }
    const d = await emailDelivery(tina.id);
    expect(d.open_count).toBe(2);
    expect(eventsOf(d, 'opened')).toHaveLength(1);
  });

  it('counts concurrent opens exactly, still with one event', async () => {
    const [pixel] = links(tina.mail.html!, 't/o');
    await Promise.all(Array.from({ length: 20 }, () => get(pixel).then((r) => r.arrayBuffer())));
    const d = await emailDelivery(tina.id);
    expect(d.open_count).toBe(22);
    expect(eventsOf(d, 'opened')).toHaveLength(1);
  });

  it('refuses tampered tracking tokens and records nothing', async () => {
    const [shop] = links(tina.mail.html!, 't/c');
    const [pixel] = links(tina.mail.html!, 't/o');
    const tamper = (url: string) => {
      const i = url.lastIndexOf('/') + 5;
      return url.slice(0, i) + (url[i] === 'A' ? 'B' : 'A') + url.slice(i + 1);
    };
    const before = await emailDelivery(tina.id);
    const bad = await get(tamper(shop));
    expect(bad.status).toBe(404);
    expect((await bad.json()).error.code).toBe('invalid_link');
    // A forged click token pointing elsewhere: signature of the real one, payload of another URL.
    const realSig = shop.split('.').pop();
    const evil = Buffer.from(JSON.stringify(['c', tina.deliveryId, 'https://evil.example'])).toString('base64url');
    expect((await get(`${h.url}/t/c/${evil}.${realSig}`)).status).toBe(404);
    const px = await get(tamper(pixel));
    expect(px.status).toBe(200);
    expect(px.headers.get('content-type')).toBe('image/gif');
    const after = await emailDelivery(tina.id);
    expect([after.open_count, after.click_count]).toEqual([before.open_count, before.click_count]);
    expect(after.events).toHaveLength(before.events.length);
  });

  it('one-click unsubscribe turns the category off for email and later sends are suppressed', async () => {
    const [unsub] = links(tina.mail.html!, 'u');
    expect((await oneClick(unsub, 'nope=1')).status).toBe(400);
    expect((await prefsOf('tina')).categories.news).toBeUndefined();
    const r = await oneClick(unsub);
    expect(r.status).toBe(200);
    expect(r.headers.get('location')).toBeNull();
    expect((await prefsOf('tina')).categories).toEqual({ news: { email: false } });
    const d = await emailDelivery(tina.id);
    expect(eventsOf(d, 'unsubscribed')).toHaveLength(1);
    expect(eventsOf(d, 'unsubscribed')[0].data).toMatchObject({ category: 'news', via: 'one_click' });
    // Mail clients may post twice: still one event.
    expect((await oneClick(unsub)).status).toBe(200);
    expect(eventsOf(await emailDelivery(tina.id), 'unsubscribed')).toHaveLength(1);

    const again = await h.api('POST', '/v1/notifications', { user_id: 'tina', template: 'digest' });
    expect(again.body.deliveries[0]).toMatchObject({ channel: 'email', status: 'suppressed', reason: 'opted_out' });
  });

  it('accepts the one-click POST as multipart form data too', async () => {
    const { mail } = await sendMail({ user_id: 'mia', template: 'digest' });
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const r = await fetch(links(mail.html!, 'u')[0], { method: 'POST', body: form });
    expect(r.status).toBe(200);
    expect((await prefsOf('mia')).categories).toEqual({ news: { email: false } });
  });

  it('shows the preference page in the user locale and saves the form', async () => {
    await h.api('PUT', '/v1/users/karl/preferences', { categories: { '<b>promo</b>': { sms: false } } });
    const { id, mail } = await sendMail({ user_id: 'karl', template: 'digest' });
    expect(mail.html).toContain('E-Mail-Einstellungen verwalten');
    const [unsub] = links(mail.html!, 'u');
    const page = await get(unsub);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('name="viewport"');
    expect(html).toContain('Einstellungen speichern');
    expect(html).toMatch(/<form method="post" action="[^"]+\/preferences">/);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('&lt;b&gt;promo&lt;/b&gt;');
    expect(html).not.toContain('<b>promo</b>');
    for (const name of ['channel.push', 'channel.sms', 'channel.email', 'category.news.email']) expect(html).toContain(`name="${name}" value="on" checked`);
    expect(html).toContain('name="category.&lt;b&gt;promo&lt;/b&gt;.sms" value="on">');

    const action = new URL(/action="([^"]+)"/.exec(html)![1], unsub).href;
    const form = new URLSearchParams({ form: 'preferences', 'channel.push': 'on', 'channel.email': 'on', 'category.news.push': 'on', 'category.news.sms': 'on' });
    const saved = await fetch(action, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(saved.status).toBe(303);
    const back = new URL(saved.headers.get('location')!, action).href;
    expect(back).toBe(`${unsub}?saved=1`);
    expect(await (await get(back)).text()).toContain('Ihre Einstellungen wurden gespeichert.');

    const prefs = await prefsOf('karl');
    expect(prefs.channels).toEqual({ push: true, sms: false, email: true });
    expect(prefs.categories.news).toEqual({ push: true, sms: true, email: false });
    expect(prefs.categories['<b>promo</b>']).toEqual({ push: false, sms: false, email: false });
    expect(eventsOf(await emailDelivery(id), 'unsubscribed')[0].data).toMatchObject({ via: 'preference_page' });
  });

  it('picks the page language: exact, language, then English', async () => {
    const { mail } = await sendMail({ user_id: 'otto', template: 'digest' });
    const html = await (await get(links(mail.html!, 'u')[0])).text();
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('설정 저장');
  });

  it('refuses forged unsubscribe tokens with 404 and changes nothing', async () => {
    const { mail } = await sendMail({ user_id: 'otto', template: 'digest' });
    const [unsub] = links(mail.html!, 'u');
    const before = await prefsOf('tina');
    const sig = unsub.split('.').pop();
    const appId = (await h.herald.store.apps.findByKey('test-key'))!.id;
    // Otto's signature on a payload naming tina, and a token for tina signed with another key.
    const swapped = `${h.url}/u/${Buffer.from(JSON.stringify(['u', appId, 'tina', null, null])).toString('base64url')}.${sig}`;
    const otherKey = `${h.url}/u/${new LinkTokens(Buffer.alloc(32, 9)).sign({ kind: 'unsubscribe', appId, userId: 'tina', category: null, deliveryId: null })}`;
    for (const url of [swapped, otherKey, `${unsub}x`]) {
      const post = await oneClick(url);
      expect(post.status).toBe(404);
      expect((await post.json()).error.code).toBe('invalid_link');
      const page = await get(url);
      expect(page.status).toBe(404);
      expect(await page.text()).toContain('Link not valid');
      const form = await fetch(`${url}/preferences`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'form=preferences' });
      expect(form.status).toBe(404);
    }
    expect(await prefsOf('tina')).toEqual(before);
    expect(await prefsOf('otto')).toEqual({ channels: {}, categories: {} });
  });

  it('tracks emails to inline contacts but gives them no unsubscribe link', async () => {
    const { mail } = await sendMail({ to: { email: 'guest@example.com' }, content: { email: { subject: 'Hi', html: `<p><a href="${PLAIN}">x</a></p>` } } });
    expect(links(mail.html!, 't/c')).toHaveLength(1);
    expect(links(mail.html!, 't/o')).toHaveLength(1);
    expect(links(mail.html!, 'u')).toHaveLength(0);
    expect(mail.headers['List-Unsubscribe']).toBeUndefined();
    expect((await get(links(mail.html!, 't/c')[0])).headers.get('location')).toBe(PLAIN);
  });
}
