import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest, notFound } from '../../domain/errors.js';
import type { AppsRow, TemplatesRow } from '../../ports/store.js';
import { pickLocale, type ChannelSource } from '../../services/render.js';
import { checkBeforeSave, partialsFor } from '../../services/templates.js';
import { HIDDEN, formOf, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { editorPage, templateHref } from './template-editor.js';
import {
  KEY_RULE,
  channelsOf,
  checkBody,
  draftSource,
  isLocaleTag,
  isTemplateKey,
  localesOf,
  readDraft,
  templateBody,
  valuesOf,
  type Draft,
  type FieldErrors,
  type TemplateBodyValue,
} from './template-form.js';
import { templateHistoryRoutes } from './template-history.js';
import { LIST_PAGE, listPage } from './template-list.js';
import { previewSection, sampleFor, sampleScope } from './template-preview.js';
import { html, notice, time, type Html } from './html.js';

/**
 * The Templates pages (SPEC §4, §8): the list, the editor per channel and locale with its preview,
 * and (template-history.ts) versions and diffs. A save writes a new version through the Store as
 * `PUT /v1/templates/{key}` does, after the same schema and Liquid checks.
 */

interface Loaded {
  key: string;
  latest?: TemplatesRow;
  versionCount: number;
  locales: string[];
}

/** The form checked as a save would check it, and the content the preview shows. */
interface Evaluated {
  errors: FieldErrors;
  sampleError?: string;
  body: TemplateBodyValue;
  /** What a user of the form's locale would get: its override over the default. */
  effective: ChannelSource;
}

function evaluate(draft: Draft, latest: TemplatesRow | undefined, app: AppsRow): Evaluated {
  const { source, errors } = draftSource(draft);
  const body = templateBody(draft, source, latest);
  for (const [field, msg] of Object.entries(checkBody(body, draft.locale))) errors[field] ??= msg;
  const effective = draft.locale ? pickLocale(body.channels as ChannelSource, (body.locales ?? {}) as Record<string, ChannelSource>, draft.locale) : source;
  return { errors, sampleError: sampleScope(draft.sample, app).error, body, effective };
}

/** A locale tag from the query or the form, spelt as the saved override spells it (`pt-br` opens `pt-BR`). */
function localeFrom(raw: string, locales: string[]): string {
  if (!raw) return '';
  if (!isLocaleTag(raw)) throw badRequest('invalid_locale', `“${raw}” is not a locale tag such as ko or pt-BR.`);
  return locales.find((l) => l.toLowerCase() === raw.toLowerCase()) ?? raw;
}

function keyError(key: string, exists: boolean): string | undefined {
  if (!key) return 'Give the new template a key.';
  if (!isTemplateKey(key)) return `${KEY_RULE}.`;
  if (exists) return `There is already a template “${key}”: open it, or choose another key.`;
  return undefined;
}

export async function templatePageRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store, clock } = ctx.deps;

  async function load(appId: string, key: string): Promise<Loaded> {
    const latest = isTemplateKey(key) ? await store.templates.latest(appId, key) : undefined;
    const versionCount = latest ? (await store.templates.versions(appId, key)).length : 0;
    return { key, latest, versionCount, locales: latest ? Object.keys(localesOf(latest)) : [] };
  }

  /** This app's live template named in the path, or a 404 (another app's template is not found either). */
  async function existing(req: FastifyRequest): Promise<Loaded & { latest: TemplatesRow }> {
    const key = String((req.params as { key: string }).key);
    const loaded = await load(signedIn(req).app.id, key);
    if (!loaded.latest) throw notFound('unknown_template', `There is no template “${key}”.`);
    return loaded as Loaded & { latest: TemplatesRow };
  }

  /** The templates a draft's content names (render/include/layout), for its preview. */
  const partialsOf = (appId: string, body: TemplateBodyValue) =>
    partialsFor(store, appId, [{ channels: body.channels as ChannelSource, locales: (body.locales ?? null) as Record<string, ChannelSource> | null }]).catch(() => undefined);

  async function showEditor(req: FastifyRequest, reply: FastifyReply, loaded: Loaded, draft: Draft, opts: { errors?: FieldErrors; status?: number; notice?: Html; refused?: boolean } = {}) {
    const s = signedIn(req);
    const ev = evaluate(draft, loaded.latest, s.app);
    const partials = await partialsOf(s.app.id, ev.body);
    const errors = opts.errors ?? {};
    const page = editorPage({
      nav: navFor(req, ctx, 'templates'),
      key: loaded.latest ? loaded.key : draft.key,
      isNew: !loaded.latest,
      latest: loaded.latest,
      versionCount: loaded.versionCount,
      locales: loaded.locales,
      draft,
      errors,
      sampleError: ev.sampleError,
      inherited: draft.locale && loaded.latest ? channelsOf(loaded.latest) : undefined,
      preview: previewSection({ source: ev.effective, sample: draft.sample, app: s.app, locale: draft.locale, fieldErrors: ev.errors, partials }),
      notice: opts.notice,
      refused: opts.refused,
    });
    // The email preview is a srcdoc frame, which inherits this page's policy: emails' inline styles need it.
    return sendPage(reply, page, { status: opts.status, inlineStyles: true });
  }

  /** Save the form as the next version (a new template's first), or show it again with what stops that. */
  async function save(req: FastifyRequest, reply: FastifyReply, loaded: Loaded, draft: Draft) {
    const s = signedIn(req);
    const ev = evaluate(draft, loaded.latest, s.app);
    const latest = loaded.latest;
    if (latest && latest.version !== draft.baseVersion) {
      return showEditor(req, reply, loaded, draft, {
        status: 409,
        notice: notice(
          html`Nothing was saved: version ${latest.version} was saved ${time(latest.created_at)}, after you opened this page. Your changes are below; saving them now makes version ${latest.version + 1} and replaces that content. Or <a href="${templateHref(loaded.key, draft.locale)}">open version ${latest.version}</a> to start from it.`,
          'error',
        ),
      });
    }
    if (Object.keys(ev.errors).length) return showEditor(req, reply, loaded, draft, { errors: ev.errors, status: 400, refused: true });
    try {
      await checkBeforeSave(store, s.app.id, draft.key, ev.body.channels as ChannelSource, (ev.body.locales ?? null) as Record<string, ChannelSource> | null);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return showEditor(req, reply, loaded, draft, { status: 400, refused: true, notice: notice(html`Nothing was saved: ${err.message}.`, 'error') });
    }
    const t = await store.templates.put({
      app_id: s.app.id,
      key: draft.key,
      category: ev.body.category ?? null,
      channels: JSON.stringify(ev.body.channels),
      locales: ev.body.locales ? JSON.stringify(ev.body.locales) : null,
      created_at: clock.now(),
    });
    const removed = draft.locale && !ev.body.locales?.[draft.locale];
    const q = `saved=${t.version}${removed ? `&removed=${encodeURIComponent(draft.locale)}` : ''}`;
    const to = templateHref(draft.key, removed ? '' : draft.locale);
    return seeOther(reply, `${to}${to.includes('?') ? '&' : '?'}${q}`);
  }

  /** The posted form of an existing template, bound to the path's key and a valid locale. */
  async function postedDraft(req: FastifyRequest): Promise<{ loaded: Loaded; draft: Draft }> {
    const loaded = await existing(req);
    const posted = readDraft(formOf(req));
    return { loaded, draft: { ...posted, key: loaded.key, locale: localeFrom(posted.locale, loaded.locales) } };
  }

  async function postedNew(req: FastifyRequest): Promise<{ loaded: Loaded; draft: Draft; errors: FieldErrors }> {
    const draft = { ...readDraft(formOf(req)), locale: '', baseVersion: 0 };
    const loaded = await load(signedIn(req).app.id, draft.key);
    const problem = keyError(draft.key, !!loaded.latest);
    return { loaded: { ...loaded, latest: undefined, versionCount: 0, locales: [] }, draft, errors: problem ? { key: problem } : {} };
  }

  app.get('/templates', HIDDEN, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const after = typeof q.after === 'string' && isTemplateKey(q.after) ? q.after : '';
    const rows = await store.templates.list(signedIn(req).app.id, { after: after || undefined, limit: LIST_PAGE });
    return sendPage(reply, listPage(navFor(req, ctx, 'templates'), rows, after, { key: '' }));
  });

  app.get('/new-template', HIDDEN, async (req, reply) => {
    const s = signedIn(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const key = typeof q.key === 'string' ? q.key.trim() : '';
    const loaded = await load(s.app.id, key);
    const problem = keyError(key, !!loaded.latest);
    if (problem) {
      const rows = await store.templates.list(s.app.id, { limit: LIST_PAGE });
      const error = html`${problem}${loaded.latest ? html` <a href="${templateHref(key)}">Open “${key}”</a>` : ''}`;
      return sendPage(reply, listPage(navFor(req, ctx, 'templates'), rows, '', { key, error }), { status: loaded.latest ? 409 : 400 });
    }
    const draft: Draft = { key, locale: '', category: '', values: {}, sample: sampleFor({}), baseVersion: 0 };
    return showEditor(req, reply, loaded, draft);
  });

  app.post('/new-template', HIDDEN, async (req, reply) => {
    const { loaded, draft, errors } = await postedNew(req);
    if (errors.key) {
      const ev = evaluate(draft, undefined, signedIn(req).app);
      return showEditor(req, reply, loaded, draft, { errors: { ...errors, ...ev.errors }, status: 400, refused: true });
    }
    return save(req, reply, loaded, draft);
  });

  app.post('/new-template/preview', HIDDEN, async (req, reply) => {
    const { loaded, draft, errors } = await postedNew(req);
    return showEditor(req, reply, loaded, draft, { errors: { ...errors, ...evaluate(draft, undefined, signedIn(req).app).errors } });
  });

  app.get('/templates/:key', HIDDEN, async (req, reply) => {
    const loaded = await existing(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const locale = localeFrom(typeof q.locale === 'string' ? q.locale.trim() : '', loaded.locales);
    const channels = channelsOf(loaded.latest);
    const own = locale ? localesOf(loaded.latest)[locale] : channels;
    const effective = locale ? pickLocale(channels, localesOf(loaded.latest), locale) : channels;
    const draft: Draft = { key: loaded.key, locale, category: loaded.latest.category ?? '', values: valuesOf(own), sample: sampleFor(effective), baseVersion: loaded.latest.version };
    const saved = typeof q.saved === 'string' && /^\d{1,9}$/.test(q.saved) ? q.saved : '';
    const removed = typeof q.removed === 'string' && isLocaleTag(q.removed) ? q.removed : '';
    const message = saved ? notice(`Saved as version ${saved}${removed ? `, without the ${removed} override` : ''}.`) : undefined;
    return showEditor(req, reply, loaded, draft, { notice: message });
  });

  app.post('/templates/:key', HIDDEN, async (req, reply) => {
    const { loaded, draft } = await postedDraft(req);
    return save(req, reply, loaded, draft);
  });

  app.post('/templates/:key/preview', HIDDEN, async (req, reply) => {
    const { loaded, draft } = await postedDraft(req);
    const s = signedIn(req);
    return showEditor(req, reply, loaded, draft, { errors: evaluate(draft, loaded.latest, s.app).errors });
  });

  // The editor's script: the same form, answered with a fresh preview section and the fields' errors.
  app.post('/api/templates/preview', HIDDEN, async (req, reply) => {
    const s = signedIn(req);
    const form = formOf(req);
    const draft = readDraft(form);
    let latest: TemplatesRow | undefined;
    const errors: FieldErrors = {};
    if (form.get('is_new') === '1') {
      draft.locale = '';
      const problem = keyError(draft.key, !!(await load(s.app.id, draft.key)).latest);
      if (problem) errors.key = problem;
    } else {
      const loaded = await load(s.app.id, draft.key);
      if (!loaded.latest) throw notFound('unknown_template', `There is no template “${draft.key}”.`);
      latest = loaded.latest;
      draft.locale = localeFrom(draft.locale, loaded.locales);
    }
    const ev = evaluate(draft, latest, s.app);
    reply.header('cache-control', 'no-store');
    const preview = previewSection({ source: ev.effective, sample: draft.sample, app: s.app, locale: draft.locale, fieldErrors: ev.errors, partials: await partialsOf(s.app.id, ev.body) });
    return { preview: preview.value, errors: { ...errors, ...ev.errors, ...(ev.sampleError ? { sample: ev.sampleError } : {}) } };
  });

  await templateHistoryRoutes(app, ctx);
}
