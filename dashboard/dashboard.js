// Herald dashboard: live refresh, as progressive enhancement. Without this file every page works and
// shows its figures as of page load. With it, an element `[data-live="/dashboard/api/…"]` is polled
// every 2 s; the JSON answer may carry
//   stats:     { name: text }       → the text of every [data-stat="name"]
//   svg:       { name: "<svg…>" }   → the chart inside [data-chart="name"] (drawn by the server)
//   fragments: { id: "<div id…>" }  → the element with that id, replaced (skipped while it has focus)
//   version:   "…"                  → sent back as ?v= so an unchanged fragment is not sent again
// Nothing here builds markup from data: the server escapes it, and the parsers never run scripts.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var root = document.querySelector('[data-live]');
  if (!root || !window.fetch || !window.DOMParser) return;

  var EVERY_MS = 2000;
  var src = root.getAttribute('data-live');
  var version = root.getAttribute('data-version');
  var paused = false;
  var timer = null;
  var toggle = root.querySelector('[data-live-toggle]');
  var status = root.querySelector('[data-live-status]');

  function say(text) {
    if (status && status.textContent !== text) status.textContent = text;
  }

  function schedule() {
    clearTimeout(timer);
    if (!paused) timer = setTimeout(tick, EVERY_MS);
  }

  function apply(data) {
    var stats = data.stats || {};
    Object.keys(stats).forEach(function (name) {
      document.querySelectorAll('[data-stat="' + CSS.escape(name) + '"]').forEach(function (el) {
        if (el.textContent !== stats[name]) el.textContent = stats[name];
      });
    });
    var svg = data.svg || {};
    Object.keys(svg).forEach(function (name) {
      var box = document.querySelector('[data-chart="' + CSS.escape(name) + '"]');
      var doc = new DOMParser().parseFromString(svg[name], 'image/svg+xml');
      if (box && doc.documentElement.nodeName === 'svg') box.replaceChildren(document.importNode(doc.documentElement, true));
    });
    var fragments = data.fragments || {};
    var held = false;
    Object.keys(fragments).forEach(function (id) {
      var old = document.getElementById(id);
      var next = new DOMParser().parseFromString(fragments[id], 'text/html').getElementById(id);
      if (!old || !next) return;
      // Replacing what the keyboard is in would throw the user's place away: wait until they leave it.
      if (old.contains(document.activeElement)) {
        held = true;
        return;
      }
      old.replaceWith(document.importNode(next, true));
    });
    if (held) say('New content arrived; it will show when focus leaves this section.');
    else if (data.fragments) say('');
    if (data.version && !held) version = data.version;
    root.setAttribute('data-live-updated', String(Date.now()));
  }

  function tick() {
    var url = src + (version ? (src.indexOf('?') < 0 ? '?' : '&') + 'v=' + encodeURIComponent(version) : '');
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          paused = true;
          say('Your session has ended: reload the page to sign in again.');
          return null;
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (!data) return;
        if (status && status.textContent.indexOf('interrupted') >= 0) say('');
        apply(data);
        schedule();
      })
      .catch(function () {
        say('Live updates interrupted; retrying.');
        schedule();
      });
  }

  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      paused = !paused;
      // A toggle button keeps its name; aria-pressed says whether updates are paused.
      toggle.setAttribute('aria-pressed', String(paused));
      say(paused ? 'Live updates paused.' : '');
      if (paused) clearTimeout(timer);
      else tick();
    });
  }
  document.addEventListener('visibilitychange', function () {
    // A hidden tab does not poll; it catches up when shown.
    if (document.hidden) clearTimeout(timer);
    else if (!paused) tick();
  });
  schedule();
})();
