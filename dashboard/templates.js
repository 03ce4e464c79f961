// Herald dashboard, template editor: the preview follows the form as it is typed in. Without this
// file the Preview button posts the form and the page comes back with the server's preview.
// With it, each pause in typing posts the same form (with its CSRF token) to the form's
// data-preview-url, which answers { preview: "<section id=template-preview…>", errors: { field: text } }:
// the preview section is swapped in and each [data-error-for="field"] shows that field's error.
// Nothing here builds markup from data: the server escapes it, and DOMParser never runs scripts.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var form = document.querySelector('form[data-preview-url]');
  if (!form || !window.fetch || !window.DOMParser || !window.FormData || !window.URLSearchParams) return;

  var WAIT_MS = 250;
  var url = form.getAttribute('data-preview-url');
  var status = form.querySelector('[data-preview-status]');
  var timer = null;
  var latest = 0;

  function say(text) {
    if (status && status.textContent !== text) status.textContent = text;
  }

  function showErrors(errors) {
    form.querySelectorAll('[data-error-for]').forEach(function (el) {
      var name = el.getAttribute('data-error-for');
      var message = errors[name] || '';
      if (el.textContent !== message) el.textContent = message;
      var control = form.elements.namedItem(name);
      if (!control || !control.setAttribute) return;
      if (message) {
        control.setAttribute('aria-invalid', 'true');
        // An error inside a folded section would go unseen.
        var folded = control.closest('details');
        if (folded) folded.open = true;
      } else {
        control.removeAttribute('aria-invalid');
      }
    });
  }

  function showPreview(markup) {
    var old = document.getElementById('template-preview');
    var next = new DOMParser().parseFromString(markup, 'text/html').getElementById('template-preview');
    if (!old || !next) return;
    // Replacing what the keyboard is in would lose the user's place; the next change brings it up to date.
    if (old.contains(document.activeElement)) return;
    old.querySelectorAll('details[open]').forEach(function (d, i) {
      var same = next.querySelectorAll('details')[i];
      if (same) same.open = true;
    });
    old.replaceWith(document.importNode(next, true));
  }

  function update() {
    var mine = ++latest;
    fetch(url, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    })
      .then(function (res) {
        if (!res.ok) throw new Error('the server answered ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (mine !== latest) return;
        showPreview(data.preview);
        showErrors(data.errors || {});
        say('');
      })
      .catch(function (err) {
        if (mine === latest) say('The preview could not be updated (' + err.message + '); the Preview button still works.');
      });
  }

  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(update, WAIT_MS);
  });
  // Preview (also what Enter in a field presses) updates in place instead of reloading the page.
  form.addEventListener('submit', function (ev) {
    if (ev.submitter && ev.submitter.hasAttribute('data-preview-button')) {
      ev.preventDefault();
      clearTimeout(timer);
      update();
    }
  });
})();
