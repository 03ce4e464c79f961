import { describe, expect, it } from 'vitest';
import { decorateEmail } from './email-tracking.js';
import { LinkTokens } from './link-tokens.js';

const tokens = new LinkTokens(Buffer.alloc(32, 1));
const base = { deliveryId: 'd-1', appId: 'app', userId: 'u-1', category: 'news', publicUrl: 'https://herald.example.com', tokens };

const hrefs = (html: string) => [...html.matchAll(/href=(?:"([^"]*)"|'([^']*)')/g)].map((m) => m[1] ?? m[2]);

describe('decorateEmail', () => {
  it('tracks http(s) links only, keeps everything else, adds pixel, footer and headers', () => {
    const html =
      '<html><body><a class="x" href="https://a.example/p?q=1&amp;r=2#f">A</a> <a title="say &quot;hi&quot; >" href=\'http://b.example\'>B</a> ' +
      '<a href="mailto:x@y.z">m</a> <a href="tel:+1555">t</a> <a href="#top">top</a> <a name="n">n</a></body></html>';
    const out = decorateEmail({ subject: 'S', html, text: 'Hello' }, base);
    const links = hrefs(out.html!);
    expect(links[0]).toMatch(/^https:\/\/herald\.example\.com\/t\/c\//);
    expect(tokens.verify(links[0].split('/t/c/')[1])).toEqual({ kind: 'click', deliveryId: 'd-1', url: 'https://a.example/p?q=1&r=2#f' });
    expect(tokens.verify(links[1].split('/t/c/')[1])).toMatchObject({ url: 'http://b.example' });
    expect(links.slice(2, 5)).toEqual(['mailto:x@y.z', 'tel:+1555', '#top']);
    expect(out.html).toContain('class="x"');
    expect(out.html).toContain('title="say &quot;hi&quot; >"');
    expect(out.html).toMatch(/<img src="https:\/\/herald\.example\.com\/t\/o\/[^"]+" width="1" height="1" alt="" style="display:none"><\/body><\/html>$/);
    const unsub = links[links.length - 1];
    expect(unsub).toMatch(/^https:\/\/herald\.example\.com\/u\//);
    expect(tokens.verify(unsub.split('/u/')[1])).toEqual({ kind: 'unsubscribe', appId: 'app', userId: 'u-1', category: 'news', deliveryId: 'd-1' });
    expect(out.text).toContain(unsub);
    expect(out.text.startsWith('Hello\n')).toBe(true);
    expect(out.headers).toEqual({ 'List-Unsubscribe': `<${unsub}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
  });

  it('appends at the end without </body>, speaks the locale, and leaves the input alone', () => {
    const email = { subject: 'S', html: '<p>Hi</p>', text: 'Hi' };
    const out = decorateEmail(email, { ...base, locale: 'de-CH' });
    expect(out.html!.startsWith('<p>Hi</p>')).toBe(true);
    expect(out.html).toContain('E-Mail-Einstellungen');
    expect(email.html).toBe('<p>Hi</p>');
  });

  it('gives inline recipients tracking but no unsubscribe', () => {
    const out = decorateEmail({ subject: 'S', html: '<a href="https://a.example">a</a>', text: 'Hi' }, { ...base, userId: null });
    expect(out.html).toContain('/t/c/');
    expect(out.html).toContain('/t/o/');
    expect(out.html).not.toContain('/u/');
    expect(out.text).toBe('Hi');
    expect(out.headers).toBeUndefined();
  });
});
