import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../domain/errors.js';
import type { TemplatesRow } from '../../ports/store.js';
import { pickLocale, renderChannels, type ChannelSource } from '../../services/render.js';
import { checkBeforeSave, partialsFor } from '../../services/templates.js';
import { splitSms } from '../../domain/sms-segments.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { ContentChannels, IdString } from '../schemas.js';

const KeyParams = Type.Object({ key: IdString });
/** A locale override's tag: `ko`, `pt-BR`, `zh_Hant_TW`. */
export const LocaleTag = Type.String({ pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$' });
export const TemplateBody = Type.Object({
  category: Type.Optional(Type.Union([IdString, Type.Null()])),
  channels: ContentChannels,
  // Only well-formed tags: a key such as `../../x` is refused rather than stored (SPEC §11).
  locales: Type.Optional(Type.Record(LocaleTag, ContentChannels, { additionalProperties: false, maxProperties: 200 })),
});
const PreviewBody = Type.Object({
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  locale: Type.Optional(Type.String({ maxLength: 35 })),
  user_id: Type.Optional(IdString),
});

function presentTemplate(t: TemplatesRow) {
  return {
    key: t.key,
    version: t.version,
    category: t.category,
    channels: JSON.parse(t.channels),
    locales: t.locales ? JSON.parse(t.locales) : {},
    created_at: new Date(t.created_at).toISOString(),
  };
}

export function segmentInfo(text: string) {
  const { encoding, parts } = splitSms(text);
  return { encoding, segments: parts.length, characters: [...text].length };
}

export async function templateRoutes(app: FastifyInstance, { store, clock }: HttpDeps): Promise<void> {
  app.put('/v1/templates/:key', { schema: { tags: ['templates'], params: KeyParams, body: TemplateBody } }, async (req, reply) => {
    const a = appOf(req);
    const { key } = req.params as Static<typeof KeyParams>;
    const b = req.body as Static<typeof TemplateBody>;
    if (Object.keys(b.channels).length === 0) throw badRequest('invalid_template', 'a template needs content for at least one channel', 'channels');
    await checkBeforeSave(store, a.id, key, b.channels as ChannelSource, (b.locales ?? null) as Record<string, ChannelSource> | null);
    const t = await store.templates.put({
      app_id: a.id,
      key,
      category: b.category ?? null,
      channels: JSON.stringify(b.channels),
      locales: b.locales ? JSON.stringify(b.locales) : null,
      created_at: clock.now(),
    });
    return reply.status(t.version === 1 ? 201 : 200).send(presentTemplate(t));
  });

  app.get('/v1/templates/:key', { schema: { tags: ['templates'], params: KeyParams } }, async (req) => {
    const a = appOf(req);
    const { key } = req.params as Static<typeof KeyParams>;
    const t = await store.templates.latest(a.id, key);
    if (!t) throw notFound('unknown_template', `no template "${key}"`);
    const versions = await store.templates.versions(a.id, key);
    return { ...presentTemplate(t), versions: versions.map((v) => ({ version: v.version, created_at: new Date(v.created_at).toISOString() })) };
  });

  app.delete('/v1/templates/:key', { schema: { tags: ['templates'], params: KeyParams } }, async (req, reply) => {
    const { key } = req.params as Static<typeof KeyParams>;
    if (!(await store.templates.remove(appOf(req).id, key))) throw notFound('unknown_template', `no template "${key}"`);
    return reply.status(204).send();
  });

  app.post('/v1/templates/:key/preview', { schema: { tags: ['templates'], params: KeyParams, body: PreviewBody } }, async (req) => {
    const a = appOf(req);
    const { key } = req.params as Static<typeof KeyParams>;
    const b = req.body as Static<typeof PreviewBody>;
    const t = await store.templates.latest(a.id, key);
    if (!t) throw notFound('unknown_template', `no template "${key}"`);
    const user = b.user_id ? await store.users.get(a.id, b.user_id) : undefined;
    if (b.user_id && !user) throw notFound('unknown_user', `no user "${b.user_id}"`, 'user_id');
    const locale = b.locale ?? user?.locale ?? null;
    const source = pickLocale(JSON.parse(t.channels), t.locales ? JSON.parse(t.locales) : null, locale);
    const scope = {
      params: b.params ?? {},
      user: user ? { id: user.id, email: user.email, phone: user.phone, name: user.name, locale: user.locale, timezone: user.timezone, data: user.data ? JSON.parse(user.data) : {} } : {},
      app: { id: a.id, name: a.name },
    };
    const partials = await partialsFor(store, a.id, [{ channels: JSON.parse(t.channels), locales: t.locales ? JSON.parse(t.locales) : null }]);
    const channels = renderChannels(source, scope, Object.keys(source), { partials, locale });
    // What the text costs: carriers bill per segment, and one non-GSM character halves the segment size.
    const sms = channels.sms ? { ...channels.sms, ...segmentInfo(channels.sms.text) } : undefined;
    return { key, version: t.version, locale, channels: { ...channels, ...(sms ? { sms } : {}) } };
  });
}
