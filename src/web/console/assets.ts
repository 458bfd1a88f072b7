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

  function call(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.message || ('HTTP ' + r.status));
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

  var render = {
    reveal: function (data) {
      document.getElementById('pii-idno').textContent = data.idNo || '—';
      document.getElementById('pii-name').textContent = data.name || '—';
      return ['Revealed (recorded in the audit trail).', true];
    },
    verify: function (data) {
      var lines = data.files.map(function (f) { return f.kind + ': ' + f.verdict + (f.verdict === 'mismatch' ? ' (got ' + f.actualSha256 + ')' : ''); });
      return [(data.ok ? 'PASS — ' : 'FAIL — ') + (lines.join('; ') || 'no evidence'), data.ok];
    },
    requeue: function (data) { return ['Queued as job ' + data.jobId + '.', true]; },
    secret: function (data) { return ['新签名密钥（只显示一次，请立即复制）New secret, shown once: ' + data.secret, true]; },
    post: function () { return ['Done.', true]; },
  };

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest && ev.target.closest('button[data-action]');
    if (!btn) return;
    ev.preventDefault();
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    show(btn.dataset.output, 'Working…');
    call(btn.dataset.url).then(function (data) {
      var r = (render[btn.dataset.action] || render.post)(data);
      show(btn.dataset.output, r[0], r[1]);
      if (btn.dataset.reload) window.location.reload();
    }, function (err) {
      show(btn.dataset.output, err.message, false);
    }).then(function () { btn.disabled = false; });
  });

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.dataset || !form.dataset.api) return;
    ev.preventDefault();
    var body = {};
    new FormData(form).forEach(function (v, k) { if (v !== '') body[k] = v; });
    call(form.dataset.api, body).then(function (data) {
      if (data.token) show(form.dataset.output, 'Token (shown once, copy it now): ' + data.token, true);
      else if (data.secret) show(form.dataset.output, '签名密钥（只显示一次，请立即复制）Secret, shown once: ' + data.secret, true);
      else if (data.deliveries !== undefined) show(form.dataset.output, '已重新排队 ' + data.deliveries + ' 条投递', true);
      else show(form.dataset.output, 'Done.', true);
      form.reset();
      if (form.dataset.reload) window.location.reload();
    }, function (err) { show(form.dataset.output, err.message, false); });
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
.status-ARCHIVED { background: #d4f3dc; } .status-EVIDENCE_MISSING, .status-FAILED { background: #f9d6d6; }
.verdict-rejected td, .verdict-invalid td, .outcome-denied td, .outcome-failure td { color: #b00020; }
output { margin-left: .6rem; }
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
