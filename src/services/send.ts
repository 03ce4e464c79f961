import { CHANNELS, PRIORITY_RANK, PUSH_PROVIDER, type Channel, type Platform, type Priority, type ProviderName } from '../domain/delivery.js';
import { ApiError, badRequest, conflict, notFound } from '../domain/errors.js';
import { allowedBy, type Preferences } from '../domain/preferences.js';
import { isEmail, normalisePhone } from '../domain/contacts.js';
import { newId } from '../domain/ids.js';
import { parseAppSettings, type AppSettings } from '../domain/app-settings.js';
import { afterQuietHours, nextLocal } from '../domain/local-time.js';
import { currentTraceParent, inSpan } from '../telemetry.js';
import type { CapClaim } from '../domain/frequency-caps.js';
import type { ChannelContent } from '../domain/content.js';
import type { Clock } from '../ports/clock.js';
import type { Queue, QueueItem } from '../ports/queue.js';
import {
  IdempotencyRace,
  type DeliveriesRow,
  type DevicesRow,
  type NewEvent,
  type NotificationBundle,
  type NotificationsRow,
  type Store,
  type TemplatesRow,
  type UsersRow,
} from '../ports/store.js';
import type { ProviderDirectory } from '../ports/provider-directory.js';
import type { ChannelAdapter } from '../ports/channel-adapter.js';
import { isCalendarDate, parseIsoDateTime } from '../domain/calendar.js';
import { loadPartials, pickLocale, renderChannels, type ChannelSource, type PartialLibrary } from './render.js';
import { hashBody } from './stable-json.js';
import { capClaims, summariesOverCap } from './cap-claims.js';
import type { FanoutJob } from './fanout-job.js';
import { decorateEmail } from './email-tracking.js';
import type { LinkTokens } from './link-tokens.js';
import type { DeliverySummary, SendRequest, SendResponse } from './send-request.js';

export interface AppRef {
  id: string;
  name: string;
}

export type SendResult =
  | { ok: true; replayed: boolean; body: SendResponse }
  | { ok: false; error: ApiError };

/** What each item needs from the database, loaded once for a whole batch. */
interface Lookups {
  users: Map<string, UsersRow>;
  devices: Map<string, DevicesRow[]>;
  templates: Map<string, TemplatesRow>;
  smsProvider?: ProviderName;
  emailProvider?: ProviderName;
  /** The accept span's traceparent, kept on each delivery so the worker continues the trace (null: not tracing). */
  traceParent: string | null;
  /** Push adapters, asked whether a rendered push fits before anything is written. */
  pushAdapters: Map<ProviderName, ChannelAdapter | undefined>;
  /** Read fresh for every send: a frequency cap changed by PUT /v1/settings applies at once. */
  settings: AppSettings;
  /** The app's templates that the sends' templates render, include or use as layout. */
  partials: PartialLibrary;
}

interface Planned {
  index: number;
  key?: string;
  hash: string;
  bundle: NotificationBundle;
  response: SendResponse;
  queued: QueueItem[];
}

/** What a request resolves to before any recipient: content source, channels, timing, category. */
interface Prepared {
  template?: TemplatesRow;
  source: ChannelSource;
  locales: Record<string, ChannelSource> | null;
  channels: Channel[];
  scheduled: boolean;
  runAt: number;
  expiresAt: number | null;
  priority: Priority;
  category: string | null;
}

/** One request's deliveries for a set of recipients, with their first events and frequency-cap claims. */
export interface PlannedDeliveries {
  deliveries: DeliveriesRow[];
  events: NewEvent[];
  summaries: DeliverySummary[];
  queued: QueueItem[];
  caps: CapClaim[];
}

const ARRAY_MAX = 1000;

/**
 * Accepting notifications: validate → resolve recipients, preferences and content → write the
 * notification, its deliveries and first events in one transaction → publish to the queue → answer.
 * Batches do each database read once for all items and commit together.
 */
export class SendService {
  constructor(
    private readonly store: Store,
    private readonly queue: Queue,
    private readonly providers: ProviderDirectory,
    private readonly clock: Clock,
    /** Email tracking and unsubscribe links (SPEC §4); without it emails go out as rendered. */
    private readonly tracking?: { tokens: LinkTokens; publicUrl: string },
  ) {}

  /** Called after notifications were committed: this process's fan-out and webhook loops look at once. */
  onCommitted: () => void = () => {};

  async send(app: AppRef, req: SendRequest, idempotencyKey?: string): Promise<SendResult> {
    const [r] = await this.sendMany(app, [{ req, idempotencyKey }]);
    return r;
  }

  async sendMany(app: AppRef, items: { req: SendRequest; idempotencyKey?: string }[]): Promise<SendResult[]> {
    return inSpan('herald.accept', null, { 'herald.app_id': app.id, 'herald.notifications': items.length }, () => this.acceptMany(app, items));
  }

  private async acceptMany(app: AppRef, items: { req: SendRequest; idempotencyKey?: string }[]): Promise<SendResult[]> {
    const results: (SendResult | undefined)[] = new Array(items.length);
    const keyed = items.map((it) => ({ ...it, key: it.idempotencyKey ?? it.req.event_id, hash: hashBody(it.req) }));

    // Idempotency: a key seen before answers its first result; a different body under it is a conflict.
    const existing = new Map(
      (await this.store.notifications.findByIdempotencyKeys(app.id, keyed.flatMap((k) => (k.key ? [k.key] : [])))).map((n) => [n.idempotency_key!, n]),
    );
    const firstInBatch = new Map<string, number>();
    const toPlan: number[] = [];
    keyed.forEach((it, i) => {
      if (!it.key) return toPlan.push(i);
      const prior = existing.get(it.key);
      if (prior) {
        results[i] = prior.request_hash === it.hash ? { ok: true, replayed: true, body: JSON.parse(prior.response!) } : { ok: false, error: idemConflict() };
        return;
      }
      const first = firstInBatch.get(it.key);
      if (first !== undefined) {
        // Resolved after the batch commits: a replay of the earlier item.
        return;
      }
      firstInBatch.set(it.key, i);
      toPlan.push(i);
    });

    const lookups = await this.load(app, toPlan.map((i) => keyed[i].req));
    const now = this.clock.now();
    const planned: Planned[] = [];
    for (const i of toPlan) {
      try {
        planned.push(this.plan(app, keyed[i].req, lookups, now, i, keyed[i].key, keyed[i].hash));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        results[i] = { ok: false, error: err };
        if (keyed[i].key) firstInBatch.delete(keyed[i].key!);
      }
    }

    await this.commit(app, planned, results);

    // Later items that reused a key of an earlier item in the same batch.
    keyed.forEach((it, i) => {
      if (results[i] || !it.key) return;
      const first = firstInBatch.get(it.key);
      const firstResult = first === undefined ? undefined : results[first];
      if (firstResult?.ok) {
        results[i] = keyed[first!].hash === it.hash ? { ok: true, replayed: true, body: firstResult.body } : { ok: false, error: idemConflict() };
      } else results[i] = firstResult ?? { ok: false, error: idemConflict() };
    });
    return results as SendResult[];
  }

  /** One transaction for the whole batch; if another request took one of its keys meanwhile, fall back to one by one. */
  private async commit(app: AppRef, planned: Planned[], results: (SendResult | undefined)[]): Promise<void> {
    if (planned.length === 0) return;
    try {
      const over = await this.store.notifications.insert(planned.map((p) => p.bundle));
      for (const p of planned) results[p.index] = { ok: true, replayed: false, body: afterCaps(p, over) };
    } catch (err) {
      if (!(err instanceof IdempotencyRace) || planned.length === 1 && !planned[0].key) throw err;
      for (const p of planned) {
        try {
          const over = await this.store.notifications.insert([p.bundle]);
          results[p.index] = { ok: true, replayed: false, body: afterCaps(p, over) };
        } catch (e) {
          if (!(e instanceof IdempotencyRace) || !p.key) throw e;
          const [prior] = await this.store.notifications.findByIdempotencyKeys(app.id, [p.key]);
          results[p.index] =
            prior && prior.request_hash === p.hash ? { ok: true, replayed: true, body: JSON.parse(prior.response!) } : { ok: false, error: idemConflict() };
          p.queued = [];
        }
      }
    }
    const items = planned.filter((p) => results[p.index]?.ok && !(results[p.index] as { replayed: boolean }).replayed).flatMap((p) => p.queued);
    if (items.length) await this.queue.publish(items);
    this.onCommitted();
  }

  private async load(app: AppRef, reqs: SendRequest[], fanoutTemplate?: TemplatesRow): Promise<Lookups> {
    const userIds = new Set<string>();
    const templateKeys = new Set<string>();
    let wantsSms = false;
    let wantsEmail = false;
    let wantsPush = false;
    for (const r of reqs) {
      if (r.user_id) userIds.add(r.user_id);
      for (const u of r.user_ids ?? []) userIds.add(u);
      if (r.template) templateKeys.add(r.template);
      const chans = r.channels ?? CHANNELS;
      if (chans.includes('sms')) wantsSms = true;
      if (chans.includes('email')) wantsEmail = true;
      if (chans.includes('push') && !r.to) wantsPush = true;
    }
    const [users, templates, devices, sms, email, settings] = await Promise.all([
      this.store.users.getMany(app.id, [...userIds]),
      this.store.templates.latestMany(app.id, [...templateKeys]),
      this.store.devices.activeForUsers(app.id, [...userIds]),
      wantsSms ? this.providers.order(app.id, 'sms') : Promise.resolve([]),
      wantsEmail ? this.providers.order(app.id, 'email') : Promise.resolve([]),
      this.store.apps.getSettings(app.id),
    ]);
    if (fanoutTemplate) templates.push(fanoutTemplate);
    const partials = await loadPartials(
      templates.map((t) => ({ channels: JSON.parse(t.channels), locales: t.locales ? JSON.parse(t.locales) : null })),
      (keys) => this.store.templates.latestMany(app.id, keys),
    );
    const pushAdapters = new Map<ProviderName, ChannelAdapter | undefined>();
    if (wantsPush) for (const p of Object.values(PUSH_PROVIDER)) pushAdapters.set(p, await this.providers.adapter(app.id, p));
    const byUser = new Map<string, DevicesRow[]>();
    for (const d of devices) {
      const list = byUser.get(d.user_id) ?? [];
      list.push(d);
      byUser.set(d.user_id, list);
    }
    return {
      users: new Map(users.map((u) => [u.id, u])),
      templates: new Map(templates.map((t) => [t.key, t])),
      devices: byUser,
      smsProvider: sms[0],
      emailProvider: email[0],
      traceParent: currentTraceParent(),
      pushAdapters,
      settings: parseAppSettings(settings),
      partials,
    };
  }

  private plan(app: AppRef, req: SendRequest, lk: Lookups, now: number, index: number, key: string | undefined, hash: string): Planned {
    const recipientKinds = (['user_id', 'user_ids', 'topic', 'to'] as const).filter((k) => req[k] !== undefined);
    if (recipientKinds.length !== 1) throw badRequest('invalid_recipients', 'give exactly one of user_id, user_ids, topic or to', 'user_id');
    if (req.user_ids && (req.user_ids.length === 0 || req.user_ids.length > ARRAY_MAX)) {
      throw badRequest('invalid_recipients', `user_ids takes 1 to ${ARRAY_MAX} ids`, 'user_ids');
    }

    const p = this.prepare(req, lk, now, now);
    if (req.topic !== undefined) return this.planTopic(app, req, p, lk, now, index, key, hash);
    const { scheduled } = p;

    // Recipients.
    let recipients: UsersRow[];
    let unknown: string[] | undefined;
    if (req.user_id !== undefined) {
      const u = lk.users.get(req.user_id);
      if (!u) throw notFound('unknown_user', `no user "${req.user_id}"`, 'user_id');
      recipients = [u];
    } else if (req.user_ids) {
      recipients = [];
      unknown = [];
      for (const id of new Set(req.user_ids)) {
        const u = lk.users.get(id);
        if (u) recipients.push(u);
        else unknown.push(id);
      }
    } else {
      recipients = [inlineRecipient(app.id, req.to!, now)];
    }

    const notificationId = newId();
    const { deliveries, events, summaries, queued, caps } = this.planDeliveries(app, req, p, recipients, lk, notificationId, now);
    const response: SendResponse = { id: notificationId, status: scheduled ? 'scheduled' : 'accepted', deliveries: summaries };
    if (unknown) response.unknown_user_ids = unknown;
    return {
      index,
      key,
      hash,
      queued,
      response,
      bundle: {
        notification: this.notificationRow(app, req, p, notificationId, key, hash, response, now),
        deliveries,
        events,
        caps,
        responseFor: (over) => (key ? JSON.stringify({ ...response, deliveries: summariesOverCap(response.deliveries, over) }) : null),
      },
    };
  }

  /** Content, channels, timing and category: what a request resolves to before any recipient. */
  private prepare(req: SendRequest, lk: Lookups, now: number, acceptedAt: number): Prepared {
    if ((req.template === undefined) === (req.content === undefined)) throw badRequest('invalid_content', 'give exactly one of template or content', 'template');
    let template: TemplatesRow | undefined;
    let source: ChannelSource;
    let locales: Record<string, ChannelSource> | null = null;
    if (req.template !== undefined) {
      template = lk.templates.get(req.template);
      if (!template) throw notFound('unknown_template', `no template "${req.template}"`, 'template');
      source = JSON.parse(template.channels);
      locales = template.locales ? JSON.parse(template.locales) : null;
    } else source = req.content!;

    const defined = CHANNELS.filter((c) => source[c] || (c === 'push' && source.web));
    if (!defined.length) throw badRequest('invalid_content', 'the content defines no channel: give at least one of push, web, sms or email', 'content');
    const channels = req.channels ?? defined;
    for (const c of channels) {
      if (!defined.includes(c)) throw badRequest('channel_without_content', `the content defines no ${c} message`, 'channels');
    }

    let sendAt: number | undefined;
    if (req.send_at !== undefined) {
      sendAt = parseIsoDateTime(req.send_at);
      if (sendAt === undefined) throw badRequest('invalid_send_at', 'send_at must be an ISO 8601 date-time of a real day, e.g. 2026-12-01T09:00:00Z', 'send_at');
    }
    if (req.send_at_local !== undefined && sendAt !== undefined) throw badRequest('invalid_send_at', 'give send_at or send_at_local, not both', 'send_at_local');
    if (req.date !== undefined && req.send_at_local === undefined) throw badRequest('invalid_send_at', 'date goes with send_at_local', 'date');
    if (req.date !== undefined && !isCalendarDate(req.date)) throw badRequest('invalid_send_at', `date ${req.date} is not a day of the calendar`, 'date');
    // send_at_local: each recipient's time is worked out per user below; the notification is scheduled.
    const scheduled = (sendAt !== undefined && sendAt > now) || req.send_at_local !== undefined;
    const runAt = sendAt !== undefined && sendAt > now ? sendAt : now;
    // ttl counts from send_at when that is after acceptance, else from acceptance (not from when a fan-out page is planned).
    const ttlBase = sendAt !== undefined && sendAt > acceptedAt ? sendAt : acceptedAt;
    const expiresAt = req.ttl !== undefined ? ttlBase + req.ttl * 1000 : null;
    const priority = req.priority ?? 'normal';
    const category = req.category ?? template?.category ?? null;
    return { template, source, locales, channels, scheduled, runAt, expiresAt, priority, category };
  }

  /**
   * The per-recipient planning every send shares (preferences, contacts, devices, rendering, payload
   * checks, suppressions, frequency-cap claims), for a request's own recipients or for one page of a
   * topic's subscribers.
   */
  private planDeliveries(app: AppRef, req: SendRequest, p: Prepared, recipients: UsersRow[], lk: Lookups, notificationId: string, now: number): PlannedDeliveries {
    const { source, locales, channels, scheduled, runAt, expiresAt, priority, category } = p;
    const deliveries: DeliveriesRow[] = [];
    const events: NewEvent[] = [];
    const summaries: DeliverySummary[] = [];
    const queued: QueueItem[] = [];
    // When the current recipient's deliveries leave: send_at, their local send_at_local, after their quiet hours.
    const when = { runAt, scheduled, expiresAt };

    const add = (
      user: UsersRow,
      channel: Channel,
      target: { to: string; platform?: Platform; provider?: ProviderName; deviceId?: string; subscription?: unknown },
      content: ChannelContent | null,
      suppressed?: string,
    ) => {
      const id = newId();
      // Links, pixel and unsubscribe are signed per delivery, so each email carries its own id.
      if (channel === 'email' && content?.email && this.tracking && !suppressed) {
        content = { email: decorateEmail(content.email, { deliveryId: id, appId: app.id, userId: user.id === '' ? null : user.id, category, locale: user.locale, ...this.tracking }) };
      }
      const status = suppressed ? 'suppressed' : when.scheduled ? 'scheduled' : 'queued';
      deliveries.push({
        id,
        app_id: app.id,
        notification_id: notificationId,
        user_id: user.id === '' ? null : user.id,
        device_id: target.deviceId ?? null,
        channel,
        platform: target.platform ?? null,
        provider: target.provider ?? '',
        to_addr: target.to,
        status,
        reason: suppressed ?? null,
        content: content && !suppressed ? JSON.stringify(target.subscription ? { ...content, subscription: target.subscription } : content) : null,
        category,
        priority_rank: PRIORITY_RANK[priority],
        run_at: when.runAt,
        lease_until: null,
        attempts: 0,
        provider_message_id: null,
        last_error: null,
        expires_at: when.expiresAt,
        trace_parent: lk.traceParent,
        created_at: now,
        updated_at: now,
      });
      events.push({ app_id: app.id, notification_id: notificationId, delivery_id: id, type: 'created', at: now, data: null });
      events.push({
        app_id: app.id,
        notification_id: notificationId,
        delivery_id: id,
        type: status,
        at: now,
        data: suppressed ? JSON.stringify({ reason: suppressed }) : when.scheduled ? JSON.stringify({ send_at: new Date(when.runAt).toISOString() }) : null,
      });
      const summary: DeliverySummary = { id, channel, to: target.to, status };
      if (target.platform) summary.platform = target.platform;
      if (target.provider) summary.provider = target.provider;
      if (suppressed) summary.reason = suppressed;
      summaries.push(summary);
      if (!suppressed) queued.push({ deliveryId: id, channel, priority, runAt: when.runAt });
    };

    for (const user of recipients) {
      const isInline = req.to !== undefined;
      const prefs: Preferences | null = user.preferences ? JSON.parse(user.preferences) : null;
      const tz = user.timezone ?? lk.settings.default_timezone ?? 'UTC';
      when.runAt = req.send_at_local !== undefined ? nextLocal(req.send_at_local, tz, now, req.date) : runAt;
      // Quiet hours hold back everything but high priority until the window ends.
      if (prefs?.quiet_hours && priority !== 'high') when.runAt = afterQuietHours(when.runAt, tz, prefs.quiet_hours.start, prefs.quiet_hours.end);
      when.scheduled = when.runAt > now;
      when.expiresAt = req.ttl !== undefined && req.send_at_local !== undefined ? Math.max(when.runAt, now) + req.ttl * 1000 : expiresAt;
      const wanted = channels.filter((c) => c !== 'push' || !isInline);
      const renderSet = new Set<string>(wanted);
      if (wanted.includes('push')) renderSet.add('web');
      const scope = {
        params: req.params ?? {},
        user: { id: user.id, email: user.email, phone: user.phone, name: user.name, locale: user.locale, timezone: user.timezone, data: user.data ? JSON.parse(user.data) : {} },
        app: { id: app.id, name: app.name },
      };
      const content = renderChannels(pickLocale(source, locales, user.locale), scope, renderSet, { literal: req.content !== undefined, partials: lk.partials, locale: user.locale });

      for (const channel of wanted) {
        const optedOut = !allowedBy(prefs, channel, category) ? 'opted_out' : undefined;
        if (channel === 'push') {
          const devices = lk.devices.get(user.id) ?? [];
          if (devices.length === 0) add(user, 'push', { to: '' }, null, 'no_contact');
          for (const d of devices) {
            const platform = d.platform as Platform;
            const push = platform === 'web' ? (content.web ?? content.push) : (content.push ?? content.web);
            const tooBig = lk.pushAdapters.get(PUSH_PROVIDER[platform])?.check?.({ deliveryId: notificationId, channel: 'push', platform, to: d.token, priority, push });
            if (tooBig) throw new ApiError(400, 'payload_too_large', tooBig, platform === 'web' && content.web ? 'content.web' : 'content.push');
            add(
              user,
              'push',
              { to: d.token, platform, provider: PUSH_PROVIDER[platform], deviceId: d.id, subscription: d.subscription ? JSON.parse(d.subscription) : undefined },
              { push },
              optedOut,
            );
          }
        } else if (channel === 'sms') {
          const provider = lk.smsProvider;
          if (!user.phone) add(user, 'sms', { to: '', provider }, null, 'no_contact');
          else add(user, 'sms', { to: user.phone, provider }, { sms: content.sms }, optedOut ?? (provider ? undefined : 'no_contact'));
        } else {
          const provider = lk.emailProvider;
          if (!user.email) add(user, 'email', { to: '', provider }, null, 'no_contact');
          else add(user, 'email', { to: user.email, provider }, { email: content.email }, optedOut ?? (provider ? undefined : 'no_contact'));
        }
      }
    }

    return { deliveries, events, summaries, queued, caps: capClaims(app.id, deliveries, lk.settings, category) };
  }

  private notificationRow(app: AppRef, req: SendRequest, p: Prepared, id: string, key: string | undefined, hash: string, response: SendResponse, now: number): NotificationsRow {
    return {
      id,
      app_id: app.id,
      idempotency_key: key ?? null,
      request_hash: key ? hash : null,
      response: key ? JSON.stringify(response) : null,
      user_id: req.user_id ?? null,
      template: req.template ?? null,
      template_version: p.template?.version ?? null,
      category: p.category,
      priority: p.priority,
      status: response.status,
      send_at: p.scheduled && req.send_at !== undefined ? p.runAt : null,
      expires_at: p.expiresAt,
      created_at: now,
    };
  }

  /**
   * A topic send is accepted without reading a subscriber: the notification and its fan-out record are
   * written together, and the fan-out worker (services/fanout.ts) plans the deliveries page by page.
   */
  private planTopic(app: AppRef, req: SendRequest, p: Prepared, lk: Lookups, now: number, index: number, key: string | undefined, hash: string): Planned {
    probeRender(app, req, p, lk.partials);
    const id = newId();
    const response: SendResponse = { id, status: p.scheduled ? 'scheduled' : 'accepted', fanout: { status: 'running' }, deliveries: [] };
    const job: FanoutJob = { app: { id: app.id, name: app.name }, req, template: p.template ?? null, accepted_at: now };
    return {
      index,
      key,
      hash,
      queued: [],
      response,
      bundle: {
        notification: this.notificationRow(app, req, p, id, key, hash, response, now),
        deliveries: [],
        events: [],
        fanout: {
          id,
          app_id: app.id,
          topic: req.topic!,
          request: JSON.stringify(job),
          cursor: null,
          status: 'running',
          lease_owner: null,
          lease_until: null,
          pages: 0,
          users: 0,
          deliveries: 0,
          suppressed: 0,
          skipped: 0,
          created_at: now,
          updated_at: now,
          finished_at: null,
        },
      },
    };
  }

  /**
   * One page of a topic's fan-out, planned exactly as a `user_ids` send to those users. A user whose
   * content cannot be made (a variable only some users have, a push payload too big) is skipped and
   * reported, so one user never stops a fan-out.
   */
  async planFanoutPage(job: FanoutJob, notificationId: string, userIds: string[], now: number): Promise<PlannedDeliveries & { users: number; skipped: { user_id: string; error: string }[] }> {
    const lk = await this.load(job.app, [{ ...job.req, topic: undefined, template: undefined, user_ids: userIds }], job.template ?? undefined);
    const p = this.prepare(job.req, lk, now, job.accepted_at);
    const recipients = userIds.flatMap((id) => lk.users.get(id) ?? []);
    try {
      return { ...this.planDeliveries(job.app, job.req, p, recipients, lk, notificationId, now), users: recipients.length, skipped: [] };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    const out: PlannedDeliveries & { users: number; skipped: { user_id: string; error: string }[] } = { deliveries: [], events: [], summaries: [], queued: [], caps: [], users: 0, skipped: [] };
    for (const user of recipients) {
      try {
        const one = this.planDeliveries(job.app, job.req, p, [user], lk, notificationId, now);
        out.deliveries.push(...one.deliveries);
        out.events.push(...one.events);
        out.queued.push(...one.queued);
        out.caps.push(...one.caps);
        out.users++;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        out.skipped.push({ user_id: user.id, error: err.code });
      }
    }
    return out;
  }
}

const idemConflict = () => conflict('idempotency_conflict', 'this event_id / Idempotency-Key was used with a different body');

/** The 202 body and queue items once the store has decided which deliveries went over their cap. */
function afterCaps(p: Planned, over: ReadonlySet<string>): SendResponse {
  if (over.size === 0) return p.response;
  p.queued = p.queued.filter((q) => !over.has(q.deliveryId));
  p.response = { ...p.response, deliveries: summariesOverCap(p.response.deliveries, over) };
  return p.response;
}

/**
 * A topic send renders nothing per user up front, but a missing `params.*` variable or a broken
 * template is still a 400 at send time: render once for a user with no fields. What only some users
 * lack (`user.data.*`) is met page by page.
 */
function probeRender(app: AppRef, req: SendRequest, p: Prepared, partials: PartialLibrary): void {
  const renderSet = new Set<string>(p.channels);
  if (p.channels.includes('push')) renderSet.add('web');
  const user = { id: '', email: null, phone: null, name: null, locale: null, timezone: null, data: {} };
  try {
    renderChannels(pickLocale(p.source, p.locales, null), { params: req.params ?? {}, user, app: { id: app.id, name: app.name } }, renderSet, { literal: req.content !== undefined, partials });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'missing_variable' && !err.field?.startsWith('params.')) return;
    throw err;
  }
}

/** `to` sends to inline contacts without a stored user; push needs a device, so it is not offered. */
function inlineRecipient(appId: string, to: { email?: string; phone?: string }, now: number): UsersRow {
  if (!to.email && !to.phone) throw badRequest('invalid_recipients', 'to needs an email or a phone', 'to');
  if (to.email !== undefined && !isEmail(to.email)) throw badRequest('invalid_email', 'to.email is not a valid email address', 'to.email');
  let phone: string | null = null;
  if (to.phone !== undefined) {
    phone = normalisePhone(to.phone) ?? null;
    if (!phone) throw badRequest('invalid_phone', 'to.phone must be a valid E.164 number such as +14155552671', 'to.phone');
  }
  return { app_id: appId, id: '', email: to.email ?? null, phone, locale: null, timezone: null, name: null, data: null, preferences: null, created_at: now, updated_at: now };
}
