import type { TemplatesRow } from '../ports/store.js';
import type { SendRequest } from './send-request.js';

/**
 * What a fan-out record carries (`fanouts.request`) so any process can plan its next page alone:
 * the request as accepted, the app, and the template version the notification recorded, kept whole
 * so every page renders the same content even if the template changes or is deleted meanwhile.
 */
export interface FanoutJob {
  app: { id: string; name: string };
  req: SendRequest;
  template: TemplatesRow | null;
  /** When the API accepted it: `ttl` counts from here, not from when a page is planned. */
  accepted_at: number;
}
