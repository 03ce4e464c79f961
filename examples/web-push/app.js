// Subscribes this browser and registers the subscription with Herald as the token's user.
const token = new URLSearchParams(location.search).get('token');
const status = document.getElementById('status');
const received = document.getElementById('received');
const api = (path, init = {}) =>
  fetch(path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers || {}) } }).then(async (r) => {
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${r.status}`);
    return body;
  });

function keyBytes(b64url) {
  const s = atob(b64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function subscribe() {
  if (!token) throw new Error('open this page with ?token=<user token>');
  const reg = await navigator.serviceWorker.register('sw.js');
  await navigator.serviceWorker.ready;
  const { vapid_public_key, sandbox } = await api('/v1/me/webpush');
  let subscription;
  try {
    subscription = (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(vapid_public_key) })).toJSON();
  } catch (err) {
    // The browser's own push service (FCM for Chrome, Mozilla's for Firefox) is not reachable, e.g.
    // offline or in CI. In sandbox mode Herald's local push service stands in for it.
    if (!sandbox) throw err;
    subscription = await api('/v1/me/sandbox/web-subscription', { method: 'POST', body: '{}' });
    status.dataset.via = 'sandbox';
  }
  const device = await api('/v1/me/devices', { method: 'POST', body: JSON.stringify({ platform: 'web', subscription: { endpoint: subscription.endpoint, keys: subscription.keys } }) });
  status.textContent = `Subscribed (device ${device.id}).`;
  status.dataset.state = 'subscribed';
}

document.getElementById('enable').addEventListener('click', () => {
  status.textContent = 'Subscribing…';
  subscribe().catch((err) => {
    status.textContent = `Could not subscribe: ${err.message}`;
    status.dataset.state = 'error';
  });
});

// The service worker forwards every push it shows, so the page can list them.
navigator.serviceWorker.addEventListener('message', (e) => {
  if (e.data?.type !== 'push') return;
  const li = document.createElement('li');
  li.textContent = `${e.data.title ?? ''} — ${e.data.body ?? ''}`;
  received.appendChild(li);
});
