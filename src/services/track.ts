import { CHANNELS, type Channel } from '../domain/delivery.js';
import { allowedBy, type Preferences } from '../domain/preferences.js';
import type { Clock } from '../ports/clock.js';
import type { Store, UsersRow } from '../ports/store.js';
import { LinkTokens, type LinkToken } from './link-tokens.js';

export type UnsubscribeToken = Extract<LinkToken, { kind: 'unsubscribe' }>;

/** What the preference page shows: the user's settings and the categories they can toggle. */
export interface PreferenceView {
  user: UsersRow;
  preferences: Preferences;
  categories: string[];
}

/** The preference form as submitted: which checkboxes were ticked (unticked boxes are not sent). */
export interface PreferenceForm {
  channels: Set<Channel>;
  /** `${category}.${channel}` for each ticked category box. */
  categories: Set<string>;
}

// Transactional messages ignore category opt-outs (domain/preferences.ts), so a toggle for them would do nothing.
const UNTOGGLEABLE = new Set(['transactional']);

/**
 * The use cases behind the tracking links of SPEC §6: opens, clicks, one-click unsubscribe
 * (RFC 8058) and the end user's preference page. Every entry takes the raw token from the URL and
 * does nothing unless it verifies.
 */
export class TrackService {
  private readonly tokens: LinkTokens;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    secretKey: Buffer,
  ) {
    this.tokens = new LinkTokens(secretKey);
  }

  /** Counts an open; false for a bad token (the pixel is served either way). */
  async open(raw: string): Promise<boolean> {
    const t = this.tokens.verify(raw);
    if (t?.kind !== 'open') return false;
    await this.store.tracking.recordOpen(t.deliveryId, this.clock.now());
    return true;
  }

  /** The URL to redirect to, or undefined for a bad token. `record` runs the write; the caller decides whether to wait. */
  click(raw: string): { url: string; record: () => Promise<unknown> } | undefined {
    const t = this.tokens.verify(raw);
    if (t?.kind !== 'click') return undefined;
    return { url: t.url, record: () => this.store.tracking.recordClick(t.deliveryId, t.url, this.clock.now()) };
  }

  unsubscribeToken(raw: string): UnsubscribeToken | undefined {
    const t = this.tokens.verify(raw);
    return t?.kind === 'unsubscribe' ? t : undefined;
  }

  /** One-click: the token's category off for email, or email altogether when it names none. False when the user is gone. */
  async unsubscribe(t: UnsubscribeToken): Promise<boolean> {
    const user = await this.store.users.get(t.appId, t.userId);
    if (!user) return false;
    const prefs = parsePreferences(user.preferences);
    const next: Preferences =
      t.category === null
        ? { ...prefs, channels: { ...prefs.channels, email: false } }
        : { ...prefs, categories: { ...prefs.categories, [t.category]: { ...prefs.categories?.[t.category], email: false } } };
    const now = this.clock.now();
    if (!(await this.store.users.setPreferences(t.appId, t.userId, JSON.stringify(next), now))) return false;
    if (t.deliveryId) await this.store.tracking.recordUnsubscribe(t.appId, t.deliveryId, { channel: 'email', category: t.category, via: 'one_click' }, now);
    return true;
  }

  async view(t: UnsubscribeToken): Promise<PreferenceView | undefined> {
    const user = await this.store.users.get(t.appId, t.userId);
    if (!user) return undefined;
    const preferences = parsePreferences(user.preferences);
    const names = new Set(Object.keys(preferences.categories ?? {}));
    if (t.category) names.add(t.category);
    const categories = [...names].filter((c) => !UNTOGGLEABLE.has(c)).sort();
    return { user, preferences, categories };
  }

  /** Writes what the form shows, for the categories the page offered; returns the new view. */
  async save(t: UnsubscribeToken, form: PreferenceForm): Promise<PreferenceView | undefined> {
    const v = await this.view(t);
    if (!v) return undefined;
    const before = v.preferences;
    const categories = { ...before.categories };
    for (const c of v.categories) {
      categories[c] = { ...categories[c], ...Object.fromEntries(CHANNELS.map((ch) => [ch, form.categories.has(`${c}.${ch}`)])) };
    }
    const next: Preferences = {
      ...before,
      channels: { ...before.channels, ...Object.fromEntries(CHANNELS.map((ch) => [ch, form.channels.has(ch)])) },
      categories,
    };
    const now = this.clock.now();
    if (!(await this.store.users.setPreferences(t.appId, t.userId, JSON.stringify(next), now))) return undefined;
    // The email this link came from stopped being wanted: the same event a one-click unsubscribe writes.
    if (t.deliveryId && allowedBy(before, 'email', t.category) && !allowedBy(next, 'email', t.category)) {
      await this.store.tracking.recordUnsubscribe(t.appId, t.deliveryId, { channel: 'email', category: t.category, via: 'preference_page' }, now);
    }
    return { ...v, preferences: next };
  }
}

function parsePreferences(raw: string | null): Preferences {
  if (!raw) return {};
  try {
    const p = JSON.parse(raw);
    return p && typeof p === 'object' && !Array.isArray(p) ? (p as Preferences) : {};
  } catch {
    return {};
  }
}
