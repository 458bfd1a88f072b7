import { createHash } from 'node:crypto';
import { Router } from 'express';

/*
 * The console's only script and stylesheet, served as files under /static (the CSP allows
 * scripts and styles from 'self' only, never inline). Kept as strings so `tsc` builds carry them
 * without a copy step.
 */

const SCRIPT = String.raw`'use strict';
(function () {
  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.getAttribute('content') : ''; };
  var csrf = meta('csrf-token');
  var messages = {};
  try { messages = JSON.parse(meta('console-messages') || '{}'); } catch (e) { messages = {}; }
  // Words come from the page's catalogue (layout.ts); {{name}} placeholders are filled here.
  function msg(key, values) {
    var text = messages[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split('{{' + k + '}}').join(String(values[k])); });
    return text;
  }

  // Staff read our words for an error's code, never the server's developer message.
  function errorText(status, code) {
    return messages['errors.code.' + code] || msg('errors.generic', { status: status });
  }

  function call(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(errorText(r.status, data.error));
        return data;
      });
    });
  }

  function show(id, text, ok) {
    var out = id && document.getElementById(id);
    if (!out) return;
    out.textContent = text;
    out.className = ok === undefined ? '' : ok ? 'ok' : 'bad';
  }

  function purposeOf(el) {
    var id = el.dataset.purpose;
    if (!id) return undefined;
    var input = document.getElementById(id);
    return input ? input.value.trim() : '';
  }

  var render = {
    reveal: function (data) {
      document.getElementById('pii-idno').textContent = data.idNo || '—';
      document.getElementById('pii-name').textContent = data.name || '—';
      return [msg('order.revealed'), true];
    },
    verify: function (data) {
      var lines = data.files.map(function (f) {
        return f.kind + ': ' + msg('order.verdict.' + f.verdict) + (f.verdict === 'mismatch' && f.actualSha256 ? ' (' + f.actualSha256 + ')' : '');
      });
      return [(data.ok ? msg('order.verifyPass') : msg('order.verifyFail')) + ' — ' + (lines.join('; ') || msg('order.verifyNone')), data.ok];
    },
    requeue: function (data) { return [msg('order.requeued', { jobId: data.jobId }), true]; },
    secret: function (data) { return [msg('webhooks.newSecret', { secret: data.secret }), true]; },
    post: function () { return [msg('common.done'), true]; },
  };

  document.addEventListener('click', function (ev) {
    var copy = ev.target.closest && ev.target.closest('button[data-copy]');
    if (copy) {
      ev.preventDefault();
      var done = function () { copy.dataset.label = copy.dataset.label || copy.textContent; copy.textContent = msg('common.copied'); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(copy.dataset.copy).then(done, done);
      else done();
      return;
    }
    var btn = ev.target.closest && ev.target.closest('button[data-action]');
    if (!btn) return;
    ev.preventDefault();
    var body = {};
    if (btn.dataset.purpose) {
      var purpose = purposeOf(btn);
      if (!purpose || purpose.length < 2) {
        show(btn.dataset.output, msg('purpose.required'), false);
        var field = document.getElementById(btn.dataset.purpose);
        if (field) field.focus();
        return;
      }
      body.purpose = purpose;
    }
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) { btn.focus(); return; }
    // aria-busy instead of disabled: a disabled button drops keyboard focus to <body>.
    if (btn.getAttribute('aria-busy') === 'true') return;
    btn.setAttribute('aria-busy', 'true');
    show(btn.dataset.output, msg('common.working'));
    call(btn.dataset.url, body).then(function (data) {
      var r = (render[btn.dataset.action] || render.post)(data);
      show(btn.dataset.output, r[0], r[1]);
      if (btn.dataset.reload) window.location.reload();
    }, function (err) {
      show(btn.dataset.output, err.message, false);
    }).then(function () {
      btn.removeAttribute('aria-busy');
      // Keep keyboard users where they were (bug: focus fell back to the top of the page).
      if (document.activeElement !== btn) btn.focus();
    });
  });

  // An incomplete evidence package is exported only once staff confirm (the server insists too).
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.dataset || !form.dataset.incomplete) return;
    if (!window.confirm(form.dataset.confirm)) { ev.preventDefault(); return; }
    var accept = form.querySelector('input[name="acceptIncomplete"]') || document.createElement('input');
    accept.type = 'hidden'; accept.name = 'acceptIncomplete'; accept.value = '1';
    form.appendChild(accept);
  });

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (form.dataset && form.dataset.purpose && !form.dataset.api) {
      var purpose = purposeOf(form);
      if (!purpose || purpose.length < 2) {
        ev.preventDefault();
        var field = document.getElementById(form.dataset.purpose);
        if (field) { field.setCustomValidity(msg('purpose.required')); field.reportValidity(); field.focus(); field.setCustomValidity(''); }
      }
      return;
    }
    if (!form.dataset || !form.dataset.api) return;
    ev.preventDefault();
    var body = {};
    new FormData(form).forEach(function (v, k) { if (v !== '') body[k] = v; });
    call(form.dataset.api, body).then(function (data) {
      if (data.token) show(form.dataset.output, msg('tokens.shownOnce', { token: data.token }), true);
      else if (data.secret) show(form.dataset.output, msg('webhooks.secretShownOnce', { secret: data.secret }), true);
      else if (data.deliveries !== undefined) show(form.dataset.output, msg('webhooks.replayed', { count: String(data.deliveries) }), true);
      else show(form.dataset.output, msg('common.done'), true);
      form.reset();
      if (form.dataset.reload) window.location.reload();
    }, function (err) { show(form.dataset.output, err.message, false); });
  });

  // A missing evidence object: say so in place of a broken image or a dead player.
  function markMissing(el) {
    var fig = el.closest && el.closest('figure[data-missing]');
    if (!fig || fig.classList.contains('missing')) return;
    fig.classList.add('missing');
    var p = document.createElement('p');
    p.className = 'error missing-note';
    p.setAttribute('role', 'alert');
    p.textContent = fig.dataset.missing;
    el.replaceWith(p);
  }
  document.addEventListener('error', function (ev) {
    var el = ev.target;
    if (el && (el.tagName === 'IMG' || el.tagName === 'VIDEO')) markMissing(el);
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll('figure[data-missing] img'), function (img) {
    if (img.complete && img.naturalWidth === 0) markMissing(img);
  });
  Array.prototype.forEach.call(document.querySelectorAll('figure[data-missing] video'), function (v) {
    if (v.error) markMissing(v);
  });
})();
`;

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #1f3a5f; color: #fff; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; }
header nav { display: flex; gap: 1rem; align-items: center; flex: 1; }
header .who { margin-left: auto; opacity: .85; }
.brand { font-weight: 600; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
th { background: #eef1f4; }
form.search { display: flex; gap: .8rem; flex-wrap: wrap; align-items: flex-end; margin-bottom: 1rem; }
form.search label, .login label { display: flex; flex-direction: column; font-size: .8rem; gap: .2rem; }
form.inline { display: inline; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; }
button.link { background: none; border: none; color: #fff; text-decoration: underline; padding: 0; }
.login { max-width: 22rem; display: flex; flex-direction: column; gap: .8rem; }
.login form { display: flex; flex-direction: column; gap: .8rem; }
.error, .bad { color: #b00020; }
.ok { color: #0a7a2f; }
.hint { color: #5b6470; font-size: .85rem; }
.mono { font-family: ui-monospace, monospace; }
.small { font-size: .8rem; }
.hash { word-break: break-all; font-size: .8rem; }
td.mono.small { word-break: break-all; max-width: 36rem; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: #5b6470; }
dd { margin: 0; }
.media { display: flex; gap: 1.5rem; flex-wrap: wrap; margin-top: 1rem; }
.media img { max-width: 320px; max-height: 320px; border: 1px solid #ccd; }
.media video { max-width: 480px; }
.status { font-size: .75rem; padding: .1rem .4rem; border-radius: .3rem; background: #e3e6ea; }
.status-ARCHIVED { background: #e3ecf7; } .status-EVIDENCE_MISSING, .status-FAILED { background: #f9d6d6; }
.outcome { font-size: .8rem; padding: .1rem .5rem; border-radius: .3rem; font-weight: 600; white-space: nowrap; }
.outcome-passed { background: #d4f3dc; color: #0a5a24; }
.outcome-failed { background: #f9d6d6; color: #8a0016; }
.outcome-none { background: #e3e6ea; color: #3b4450; }
.badges { display: inline-flex; gap: .4rem; vertical-align: middle; }
.code .meaning { color: #3b4450; font-size: .85rem; }
button.copy { font-size: .7rem; padding: .05rem .35rem; margin-left: .3rem; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; }
.shortcuts { display: flex; gap: .8rem; margin: -.4rem 0 1rem; }
.shortcuts a.current { font-weight: 600; text-decoration: none; }
.scroll { overflow-x: auto; }
.nowrap { white-space: nowrap; }
dl.detail { grid-template-columns: max-content 1fr; font-size: .8rem; }
.missing-note { border: 1px dashed #b00020; padding: 1rem; max-width: 320px; }
label.purpose { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; max-width: 28rem; }
label.wide input { min-width: 18rem; }
footer { padding: 0 1.5rem 1.5rem; }
header .lang { margin-left: .5rem; font-size: .85rem; opacity: .9; }
[aria-busy=true] { opacity: .6; cursor: progress; }
@media (max-width: 700px) {
  header { gap: .5rem; padding: .5rem .8rem; }
  header nav { flex-wrap: wrap; gap: .6rem; }
  header .who { margin-left: 0; }
  main { padding: .8rem; }
  .cols { grid-template-columns: 1fr; gap: 0; }
  label.wide input { min-width: 0; width: 100%; }
  form.search label { flex: 1 1 100%; }
  form.search input, form.search select { width: 100%; box-sizing: border-box; }
  dl { grid-template-columns: 1fr; }
  dt { margin-top: .4rem; }
  .media img, .media video { max-width: 100%; }
  .hash { max-width: 12rem; }
}
.verdict-rejected td, .verdict-invalid td, .outcome-denied td, .outcome-failure td { color: #b00020; }
output { margin-left: .6rem; }
.alert-danger { border: 2px solid #b00020; background: #fdecee; color: #7a0016; padding: .5rem 1rem; border-radius: .4rem; margin: 1rem 0; }
tr[data-integrity="failed"] td { color: #b00020; text-decoration: line-through; }
.attention-count { display: inline-block; min-width: 1.2rem; padding: 0 .3rem; border-radius: .6rem; background: #b00020; color: #fff; font-size: .75rem; text-align: center; }
`;

function asset(body: string, type: string) {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  return { body, type, etag };
}

/** Serves /static/console.js and /static/console.css with ETags. */
export function assetRoutes(): Router {
  const r = Router();
  const files = {
    'console.js': asset(SCRIPT, 'text/javascript; charset=utf-8'),
    'console.css': asset(STYLE, 'text/css; charset=utf-8'),
  };
  for (const [name, a] of Object.entries(files)) {
    r.get(`/static/${name}`, (req, res) => {
      res.set({ ETag: a.etag, 'Cache-Control': 'no-cache' });
      if (req.get('if-none-match') === a.etag) {
        res.status(304).end();
        return;
      }
      res.type(a.type).send(a.body);
    });
  }
  return r;
}
