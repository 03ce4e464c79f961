import { CHANNELS, type Channel } from '../domain/delivery.js';
import type { ConsentStrings } from '../domain/consent-strings.js';
import { escapeHtml as e } from '../services/html-escape.js';
import type { PreferenceView } from '../services/track.js';

/**
 * The end user's preference page (`GET /u/{token}`): one plain form, no JavaScript, no external
 * assets (it is opened from mail clients on phones, often with remote content blocked), large tap
 * targets. Everything interpolated is escaped.
 */

/** Sent with every page: nothing may load from elsewhere, the form posts only here, no framing, no token in Referer. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

// Sized for a phone held in one hand: 17 px text, every label and the button at least 48 px tall
// (above the 44 px touch guideline), and nothing wider than the screen — a long topic name or a
// long German word wraps instead of pushing the page sideways (fieldsets would grow to fit it).
const STYLE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f5f5f5;overflow-wrap:anywhere;hyphens:auto}
main{max-width:34rem;margin:0 auto;padding:1.25rem 1rem 2rem}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}
fieldset{min-width:0;border:1px solid #c4c4c4;border-radius:.5rem;background:#fff;margin:0 0 1rem;padding:.5rem 1rem}
fieldset fieldset{border:0;border-top:1px solid #e0e0e0;border-radius:0;margin:0;padding:.5rem 0 0}
legend{font-weight:600;padding:0 .25rem;max-width:100%}
label{display:flex;align-items:center;gap:.75rem;min-height:3rem;padding:.25rem 0;cursor:pointer}
input[type=checkbox]{width:1.5rem;height:1.5rem;margin:0;flex:none;accent-color:#1f5fbf}
button{display:block;width:100%;min-height:3rem;padding:.5rem 1rem;font:inherit;font-weight:600;color:#fff;background:#1f5fbf;border:0;border-radius:.5rem;cursor:pointer}
button:active{background:#17498f}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 5px #1a1a1a}
.notice{background:#e6f4ea;border:1px solid #8cc49a;border-radius:.5rem;padding:.75rem 1rem}
`;

function layout(words: ConsentStrings, title: string, body: string): string {
  return `<!doctype html>
<html lang="${e(words.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${e(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const checkbox = (name: string, checked: boolean, label: string) =>
  `<label><input type="checkbox" name="${e(name)}" value="on"${checked ? ' checked' : ''}> <span>${e(label)}</span></label>`;

export function preferencePage(words: ConsentStrings, token: string, view: PreferenceView, saved = false): string {
  const prefs = view.preferences;
  const label: Record<Channel, string> = { push: words.push, sms: words.sms, email: words.email };
  const channels = CHANNELS.map((ch) => checkbox(`channel.${ch}`, prefs.channels?.[ch] !== false, label[ch])).join('\n');
  const categories = view.categories
    .map((cat) => {
      const boxes = CHANNELS.map((ch) => checkbox(`category.${cat}.${ch}`, prefs.categories?.[cat]?.[ch] !== false, label[ch])).join('\n');
      return `<fieldset><legend>${e(cat)}</legend>\n${boxes}\n</fieldset>`;
    })
    .join('\n');
  // Relative action: resolves to /u/{token}/preferences however a proxy mounts Herald.
  const body = `${saved ? `<p class="notice" role="status">${e(words.saved)}</p>\n` : ''}<p>${e(words.intro)}</p>
<form method="post" action="${e(token)}/preferences">
<input type="hidden" name="form" value="preferences">
<fieldset><legend>${e(words.channels)}</legend>
${channels}
</fieldset>
${categories ? `<fieldset><legend>${e(words.categories)}</legend>\n${categories}\n</fieldset>\n` : ''}<button type="submit">${e(words.save)}</button>
</form>`;
  return layout(words, words.title, body);
}

export function invalidLinkPage(words: ConsentStrings): string {
  return layout(words, words.invalidTitle, `<p>${e(words.invalidBody)}</p>`);
}
