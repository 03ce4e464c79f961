import type { ServerResponse } from 'node:http';
import { sendJson } from '../shared/msg-http-server.js';

/**
 * Twilio's REST error body, `{"code","message","more_info","status"}`, with the codes and
 * wording the Messages API uses for the cases the emulator reproduces.
 */
const TWILIO_ERRORS = {
  20003: { status: 401, message: 'Authentication Error - invalid username' },
  20404: { status: 404, message: 'The requested resource was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  20500: { status: 500, message: 'An internal server error has occurred' },
  21211: { status: 400, message: "Invalid 'To' Phone Number" },
  21602: { status: 400, message: 'Message body is required.' },
  21603: { status: 400, message: "A 'From' phone number is required." },
  21604: { status: 400, message: "A 'To' phone number is required." },
  21606: {
    status: 400,
    message: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.",
  },
  21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
  21614: { status: 400, message: "'To' number is not a valid mobile number" },
  21617: { status: 400, message: 'The concatenated message body exceeds the 1600 character limit.' },
} as const satisfies Record<number, { status: number; message: string }>;

export function sendTwilioError(
  res: ServerResponse,
  code: number,
  opts: { status?: number; message?: string; headers?: Record<string, string> } = {},
): void {
  const known = (TWILIO_ERRORS as Record<number, { status: number; message: string } | undefined>)[code];
  const status = opts.status ?? known?.status ?? 400;
  sendJson(
    res,
    status,
    {
      code,
      message: opts.message ?? known?.message ?? 'Error',
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
    opts.headers,
  );
}

/** Twilio's RFC 2822 dates, e.g. "Thu, 24 Aug 2023 05:01:45 +0000". */
export function twilioDate(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}
