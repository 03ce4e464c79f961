import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.js';
import type { TemplatesRow } from '../../ports/store.js';
import { HIDDEN, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { diffView, fieldsOf } from './template-diff.js';
import { templateHref } from './template-editor.js';
import { channelsOf, isTemplateKey, localesOf } from './template-form.js';
import { previewSection, sampleFor } from './template-preview.js';
import { html, layout, notice, postForm, time, type Html, type NavState } from './html.js';

/**
 * A template's history: every version with its time, any version read-only (with its preview, and a
 * button that saves it again as the newest version), and the line diff of two versions.
 */

const VERSION = /^[1-9]\d{0,8}$/;

function crumbs(key: string): Html {
  return html`<p class="crumbs"><a href="/dashboard/templates">Templates</a> › <a href="${templateHref(key)}" class="mono">${key}</a></p>`;
}

function compareForm(key: string, versions: TemplatesRow[], from: number, to: number, error?: string): Html {
  if (versions.length < 2) return html`<p>Only one version so far: nothing to compare yet.</p>`;
  const select = (name: string, label: string, chosen: number) =>
    html`<div class="field"><label for="cmp-${name}">${label}</label><select id="cmp-${name}" name="${name}"${error ? html` aria-invalid="true" aria-describedby="cmp-error"` : ''}>${versions.map(
      (v) => html`<option value="${v.version}"${v.version === chosen ? html` selected` : ''}>Version ${v.version}</option>`,
    )}</select></div>`;
  return html`<form method="get" action="${templateHref(key)}/diff" class="filters compare" aria-label="Compare two versions">
${select('from', 'From', from)}
${select('to', 'To', to)}
<div class="actions"><button type="submit">Compare</button></div>
</form>
${error ? html`<p class="notice error" role="alert" id="cmp-error">${error}</p>` : ''}`;
}

function historyPage(nav: NavState, key: string, versions: TemplatesRow[], error?: string): string {
  const [newest, previous] = versions;
  return layout({
    title: `History of ${key}`,
    nav,
    styles: ['templates.css'],
    body: html`${crumbs(key)}
<h1>History of <span class="mono">${key}</span></h1>
<h2>Compare</h2>
${compareForm(key, versions, previous?.version ?? newest.version, newest.version, error)}
<h2>Versions</h2>
<div class="table-wrap"><table>
<caption class="visually-hidden">Versions, newest first</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col">Category</th><th scope="col">Channels</th><th scope="col">Locales</th></tr></thead>
<tbody>${versions.map(
      (v) =>
        html`<tr><th scope="row"><a href="${templateHref(key)}/versions/${v.version}">Version ${v.version}</a>${v === newest ? ' (current)' : ''}</th><td>${time(v.created_at)}</td><td>${v.category ?? '—'}</td><td>${Object.keys(channelsOf(v)).join(', ')}</td><td>${Object.keys(localesOf(v)).join(', ') || '—'}</td></tr>`,
    )}</tbody>
</table></div>`,
  });
}

function versionPage(nav: NavState, key: string, v: TemplatesRow, newest: number, app: { id: string; name: string }, restored: boolean): string {
  const source = channelsOf(v);
  const fields = [...fieldsOf(v).values()].filter((f) => f.text);
  return layout({
    title: `${key} version ${v.version}`,
    nav,
    styles: ['templates.css'],
    body: html`${crumbs(key)}
<h1><span class="mono">${key}</span>, version ${v.version}</h1>
${restored ? notice(`Saved again as version ${newest}.`) : ''}
<p>Saved ${time(v.created_at)}.${v.version === newest ? ' This is the current version.' : html` The current version is <a href="${templateHref(key)}/versions/${newest}">${newest}</a>.`}</p>
<p class="links">${v.version > 1 ? html`<a href="${templateHref(key)}/diff?from=${v.version - 1}&amp;to=${v.version}">Changes from version ${v.version - 1}</a>` : ''}${
      v.version !== newest ? html` <a href="${templateHref(key)}/diff?from=${v.version}&amp;to=${newest}">Changes since, to version ${newest}</a>` : ''
    } <a href="${templateHref(key)}/versions">All versions</a></p>
${
  v.version === newest
    ? ''
    : postForm(
        `${templateHref(key)}/versions/${v.version}/restore`,
        nav.csrf,
        html`<button type="submit" class="secondary">Restore: save this content as version ${newest + 1}</button>`,
        html` class="restore"`,
      )
}
<div class="workspace">
<section aria-labelledby="content-h"><h2 id="content-h">Content</h2>
<dl class="version-fields">${fields.map((f) => html`<div><dt>${f.label}</dt><dd><pre class="json">${f.text}</pre></dd></div>`)}</dl>
</section>
${previewSection({ source, sample: sampleFor(source), app, locale: '' })}
</div>`,
  });
}

function diffPage(nav: NavState, key: string, versions: TemplatesRow[], from: TemplatesRow, to: TemplatesRow): string {
  return layout({
    title: `${key}: version ${from.version} to ${to.version}`,
    nav,
    styles: ['templates.css'],
    body: html`${crumbs(key)}
<h1><span class="mono">${key}</span>: version ${from.version} → ${to.version}</h1>
${compareForm(key, versions, from.version, to.version)}
<h2>Changes</h2>
${diffView(from, to)}`,
  });
}

/** `…/versions`, `…/versions/{n}`, `POST …/versions/{n}/restore` and `…/diff?from=&to=` under /dashboard/templates/{key}. */
export async function templateHistoryRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store, clock } = ctx.deps;

  /** This app's versions of a live template, newest first; anything else is not found. */
  async function versionsOf(req: FastifyRequest): Promise<{ key: string; versions: TemplatesRow[] }> {
    const key = String((req.params as { key: string }).key);
    const appId = signedIn(req).app.id;
    if (!isTemplateKey(key) || !(await store.templates.latest(appId, key))) throw notFound('unknown_template', `There is no template “${key}”.`);
    return { key, versions: await store.templates.versions(appId, key) };
  }

  const versionParam = (req: FastifyRequest, versions: TemplatesRow[]) => {
    const n = String((req.params as { n: string }).n);
    const v = VERSION.test(n) ? versions.find((x) => x.version === Number(n)) : undefined;
    if (!v) throw notFound('unknown_version', `There is no version ${n} of this template.`);
    return v;
  };

  app.get('/templates/:key/versions', HIDDEN, async (req, reply) => {
    const { key, versions } = await versionsOf(req);
    return sendPage(reply, historyPage(navFor(req, ctx, 'templates'), key, versions));
  });

  app.get('/templates/:key/versions/:n', HIDDEN, async (req, reply) => {
    const { key, versions } = await versionsOf(req);
    const v = versionParam(req, versions);
    const restored = (req.query as Record<string, unknown> | undefined)?.restored === '1';
    const page = versionPage(navFor(req, ctx, 'templates'), key, v, versions[0].version, signedIn(req).app, restored);
    return sendPage(reply, page, { inlineStyles: true });
  });

  app.post('/templates/:key/versions/:n/restore', HIDDEN, async (req, reply) => {
    const { key, versions } = await versionsOf(req);
    const v = versionParam(req, versions);
    // The same write PUT /v1/templates/{key} makes: a new version, so the history keeps what was replaced.
    const t = await store.templates.put({ app_id: signedIn(req).app.id, key, category: v.category, channels: v.channels, locales: v.locales, created_at: clock.now() });
    return seeOther(reply, `${templateHref(key)}/versions/${t.version}?restored=1`);
  });

  app.get('/templates/:key/diff', HIDDEN, async (req, reply) => {
    const { key, versions } = await versionsOf(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const pick = (name: string) => (typeof q[name] === 'string' && VERSION.test(q[name] as string) ? versions.find((v) => v.version === Number(q[name])) : undefined);
    const [from, to] = [pick('from'), pick('to')];
    const nav = navFor(req, ctx, 'templates');
    if (!from || !to) return sendPage(reply, historyPage(nav, key, versions, 'Choose two versions of this template to compare.'), { status: 400 });
    return sendPage(reply, diffPage(nav, key, versions, from, to));
  });
}
