import type { EmailContent } from '../domain/content.js';
import { consentStrings } from '../domain/consent-strings.js';
import { escapeHtml, unescapeHtmlAttr } from './html-escape.js';
import type { LinkTokens } from './link-tokens.js';

export interface TrackingContext {
  deliveryId: string;
  appId: string;
  /** null for inline `to` recipients: there is no user whose preferences an unsubscribe could change. */
  userId: string | null;
  category: string | null;
  /** The recipient's locale, for the footer's words. */
  locale?: string | null;
  /** HERALD_PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  tokens: LinkTokens;
}

/** Longer links are left as written: a click token carries the URL, and mail clients truncate long hrefs. */
const MAX_TRACKED_URL = 2048;

// An <a> start tag, quoted attribute values may contain '>'.
const A_TAG = /<a\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
// One attribute inside a start tag: name, then an optional value in "…", '…' or bare.
const ATTR = /(\s+)([^\s"'>/=]+)(\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const BODY_END = /<\/body\s*>(?![\s\S]*<\/body\s*>)/i;

/**
 * SPEC §4: every http(s) link in the html goes through a signed click-tracking URL, an open pixel is
 * added, and every email to a user carries a footer link to their preference page plus the
 * List-Unsubscribe headers of RFC 2369 / RFC 8058 (one-click). Pure: returns a new EmailContent.
 */
export function decorateEmail(email: EmailContent, ctx: TrackingContext): EmailContent {
  const base = ctx.publicUrl.replace(/\/+$/, '');
  const own = [`${base}/u/`, `${base}/t/`];
  const unsubscribeUrl =
    ctx.userId === null
      ? undefined
      : `${base}/u/${ctx.tokens.sign({ kind: 'unsubscribe', appId: ctx.appId, userId: ctx.userId, category: ctx.category, deliveryId: ctx.deliveryId })}`;
  const words = consentStrings(ctx.locale);

  const out: EmailContent = { ...email, headers: { ...(email.headers ?? {}) } };
  if (email.html !== undefined) {
    let html = email.html.replace(A_TAG, (tag) => rewriteHref(tag, (url) => {
      if (!/^https?:\/\//i.test(url) || url.length > MAX_TRACKED_URL || own.some((p) => url.startsWith(p))) return undefined;
      return `${base}/t/c/${ctx.tokens.sign({ kind: 'click', deliveryId: ctx.deliveryId, url })}`;
    }));
    const footer = unsubscribeUrl
      ? `<p style="margin:24px 0 0;font-size:12px;line-height:1.5;color:#666666;text-align:center"><a href="${escapeHtml(unsubscribeUrl)}" style="color:#666666">${escapeHtml(words.footerHtml)}</a></p>`
      : '';
    const pixel = `<img src="${escapeHtml(`${base}/t/o/${ctx.tokens.sign({ kind: 'open', deliveryId: ctx.deliveryId })}`)}" width="1" height="1" alt="" style="display:none">`;
    html = BODY_END.test(html) ? html.replace(BODY_END, (end) => footer + pixel + end) : html + footer + pixel;
    out.html = html;
  }
  if (unsubscribeUrl) {
    const body = email.text.replace(/\s+$/, '');
    out.text = `${body ? `${body}\n\n-- \n` : ''}${words.footerText} ${unsubscribeUrl}\n`;
    out.headers!['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
    out.headers!['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  if (Object.keys(out.headers!).length === 0) delete out.headers;
  return out;
}

/** The tag with its first href replaced by `track(url)`, or unchanged when that returns undefined. */
function rewriteHref(tag: string, track: (url: string) => string | undefined): string {
  let done = false;
  return tag.replace(ATTR, (whole, space: string, name: string, assign?: string, dq?: string, sq?: string, bare?: string) => {
    if (done || !assign || name.toLowerCase() !== 'href') return whole;
    done = true;
    const url = unescapeHtmlAttr(dq ?? sq ?? bare ?? '').trim();
    const tracked = track(url);
    return tracked === undefined ? whole : `${space}${name}="${escapeHtml(tracked)}"`;
  });
}
