import type { ChannelSource, PartialLibrary, PartialTemplate } from './render.js';
import { checkTemplateLimits, checkTemplateSyntax, loadPartials } from './render.js';
import type { Store } from '../ports/store.js';

/**
 * Template use cases shared by `PUT /v1/templates/{key}`, its preview and the dashboard's editor, so a
 * template is checked the same way wherever it is saved (SPEC §4, §11).
 */

/** The app's templates that these contents name in render/include/layout, transitively. */
export function partialsFor(store: Store, appId: string, contents: PartialTemplate[]): Promise<PartialLibrary> {
  return loadPartials(contents, (keys) => store.templates.latestMany(appId, keys));
}

/**
 * Every check a new version of template `key` must pass before it is stored: syntax, partial names,
 * and the limits with no data (its partials as they would be once it is saved — a template that renders
 * itself is its own partial).
 */
export async function checkBeforeSave(store: Store, appId: string, key: string, channels: ChannelSource, locales: Record<string, ChannelSource> | null): Promise<void> {
  checkTemplateSyntax(channels, 'channels');
  for (const [loc, chans] of Object.entries(locales ?? {})) checkTemplateSyntax(chans, `locales.${loc}`);
  const own = { channels, locales };
  const partials = await loadPartials([own], async (keys) => (await store.templates.latestMany(appId, keys)).filter((t) => t.key !== key));
  checkTemplateLimits(channels, locales, new Map(partials).set(key, own));
}
