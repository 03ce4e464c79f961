import type { Channel, Priority } from '../domain/delivery.js';
import type { ChannelSource } from './render.js';

/** The body of POST /v1/notifications after schema validation (src/http/routes/notifications.schema.ts). */
export interface SendRequest {
  event_id?: string;
  user_id?: string;
  user_ids?: string[];
  /** Every subscriber of the topic, fanned out in pages after the 202 (services/fanout.ts). */
  topic?: string;
  to?: { email?: string; phone?: string };
  template?: string;
  params?: Record<string, unknown>;
  content?: ChannelSource;
  channels?: Channel[];
  category?: string;
  priority?: Priority;
  send_at?: string;
  /** `HH:MM` wall-clock time in each recipient's own timezone (with optional `date`, `YYYY-MM-DD`). */
  send_at_local?: string;
  date?: string;
  ttl?: number;
}

export interface DeliverySummary {
  id: string;
  channel: Channel;
  platform?: string;
  provider?: string;
  to: string;
  status: string;
  reason?: string;
}

/** The 202 body (and what an idempotent replay answers). */
export interface SendResponse {
  id: string;
  status: 'accepted' | 'scheduled';
  deliveries: DeliverySummary[];
  unknown_user_ids?: string[];
  /** A topic send: its deliveries are made as the fan-out streams (GET shows the progress). */
  fanout?: { status: string };
}
