/** Rendered content as it leaves the template engine, per channel. */
export interface PushContent {
  title?: string;
  body?: string;
  /** Values are strings on the wire (FCM requires it); the renderer stringifies. */
  data?: Record<string, string>;
  badge?: number;
  sound?: string;
  image?: string;
  url?: string;
}
export interface SmsContent {
  text: string;
}
export interface EmailContent {
  subject: string;
  html?: string;
  text: string;
  /** Extra headers such as List-Unsubscribe. */
  headers?: Record<string, string>;
}
export interface ChannelContent {
  push?: PushContent;
  web?: PushContent;
  sms?: SmsContent;
  email?: EmailContent;
}
