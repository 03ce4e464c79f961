import { escapeHtml } from '../../services/html-escape.js';

/**
 * HTML for the dashboard's server-rendered pages. `html\`…\`` escapes every interpolated value unless
 * it is already Html (made by this tag), so a template cannot forget to escape: a
 * subject line `<script>` shows as text. Arrays are joined; null, undefined and false render nothing.
 * Attribute values are always written in double quotes in the templates.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** Path segment or query value. */
export const enc = encodeURIComponent;

export const isoTime = (ms: number) => new Date(ms).toISOString();
/** "2026-11-25 10:00:03 UTC": the same for every operator, whatever their browser's zone. */
export const showTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
export const time = (ms: number | null | undefined) => (ms === null || ms === undefined ? html`—` : html`<time datetime="${isoTime(ms)}">${showTime(ms)}</time>`);

export function ageText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Sent with every dashboard page: nothing from elsewhere, forms post only here, no framing. */
export function pageHeaders(opts: { inlineStyles?: boolean } = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // The sandbox mailbox shows emails in sandboxed srcdoc iframes, which inherit this policy: emails'
    // inline styles are allowed there, scripts never, and images only as data: URLs (no remote content,
    // and looking at a mailbox does not fire the open pixel).
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'self'${opts.inlineStyles ? " 'unsafe-inline'" : ''}`,
      'img-src data:',
      "connect-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

export interface NavState {
  appName: string;
  csrf: string;
  sandbox: boolean;
  current: 'overview' | 'notifications' | 'templates' | 'users' | 'providers' | 'dead-letters' | 'sandbox' | null;
}

const NAV: { id: Exclude<NavState['current'], null>; href: string; label: string; sandboxOnly?: boolean }[] = [
  { id: 'overview', href: '/dashboard', label: 'Overview' },
  { id: 'notifications', href: '/dashboard/notifications', label: 'Notifications' },
  { id: 'templates', href: '/dashboard/templates', label: 'Templates' },
  { id: 'users', href: '/dashboard/users', label: 'Users' },
  { id: 'providers', href: '/dashboard/providers', label: 'Providers' },
  { id: 'dead-letters', href: '/dashboard/dead-letters', label: 'Dead letters' },
  { id: 'sandbox', href: '/dashboard/sandbox', label: 'Sandbox', sandboxOnly: true },
];

/** A form that changes something: POST with the session's CSRF token. */
export function postForm(action: string, csrf: string, inner: Html, attrs: Html = html``): Html {
  return html`<form method="post" action="${action}"${attrs}><input type="hidden" name="csrf" value="${csrf}">${inner}</form>`;
}

/**
 * A page. `live` loads dashboard.js (the overview's refresh and shared helpers); `styles` and `scripts`
 * name a page's own files in dashboard/ (e.g. 'templates.css'), so each page's look and behaviour
 * stays in a file of its own.
 */
export function layout(opts: { title: string; nav?: NavState; body: Html; live?: boolean; styles?: string[]; scripts?: string[] }): string {
  const nav = opts.nav;
  const header = nav
    ? html`<header class="top">
<p class="brand"><a href="/dashboard">Herald</a> <span class="app">app <strong>${nav.appName}</strong></span>${nav.sandbox ? html` <span class="badge">sandbox</span>` : ''}</p>
<nav aria-label="Dashboard">
<ul>${NAV.filter((n) => !n.sandboxOnly || nav.sandbox).map(
        (n) => html`<li><a href="${n.href}"${n.id === nav.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}</ul>
</nav>
${postForm('/dashboard/sign-out', nav.csrf, html`<button type="submit" class="link">Sign out</button>`, html` class="signout"`)}
</header>`
    : html`<header class="top"><p class="brand">Herald</p></header>`;
  return `<!doctype html>
${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${opts.title} · Herald</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
${(opts.styles ?? []).map((f) => html`<link rel="stylesheet" href="/dashboard/assets/${f}">`)}
${opts.live ? html`<script src="/dashboard/assets/dashboard.js" defer></script>` : ''}
${(opts.scripts ?? []).map((f) => html`<script src="/dashboard/assets/${f}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main" tabindex="-1">
${opts.body}
</main>
</body>
</html>
`}`;
}

export function notice(text: Html | string, kind: 'ok' | 'error' = 'ok'): Html {
  return kind === 'error' ? html`<p class="notice error" role="alert">${text}</p>` : html`<p class="notice" role="status">${text}</p>`;
}

export function errorPage(title: string, message: string, nav?: NavState): string {
  return layout({
    title,
    nav: nav && { ...nav, current: null },
    body: html`<h1>${title}</h1><p>${message}</p><p><a href="${nav ? '/dashboard' : '/'}">${nav ? 'Back to the overview' : 'Sign in'}</a></p>`,
  });
}

/** JSON shown as indented text (event data, provider answers); wrapped by the stylesheet, so never a scroll box. */
export function jsonBlock(value: unknown): Html {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}
