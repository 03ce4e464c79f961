import { describe, expect, it } from 'vitest';
import { pushServiceMessage, webPushDeliveryError } from './errors.js';

describe('push service errors', () => {
  it("records a push service's JSON message field, never its body as it came", () => {
    const autopush = JSON.stringify({ code: 404, errno: 102, error: 'Not Found', message: 'Request did not validate No such subscription' });
    expect(pushServiceMessage(autopush)).toBe('Request did not validate No such subscription');
    expect(pushServiceMessage(JSON.stringify({ reason: 'BadJwtToken' }))).toBe('BadJwtToken');
    expect(pushServiceMessage('<html><title>Intranet admin</title>…</html>')).toBeUndefined();
    expect(webPushDeliveryError(500, 'root:x:0:0:root:/root:/bin/bash', undefined).message).toBe('Web Push 500');
    expect(webPushDeliveryError(410, autopush, undefined)).toMatchObject({ kind: 'invalid_recipient', providerCode: 'HTTP410', message: 'Web Push 410: Request did not validate No such subscription' });
  });
});
