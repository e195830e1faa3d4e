// The VAT page: talks only to the server's JSON API. Every value from a file or a service is put in with
// textContent (never as markup); every request carries X-Mva-Request: 1 and same-origin credentials.
import { texts, initialLanguage } from './i18n.js';

const $ = (id) => document.getElementById(id);
let lang = initialLanguage();
let t = texts[lang];
let validated = null; // the files and number last validated without errors
let polling = null;
// What is on screen, so a language switch can show it again in the other language.
const shown = { pid: null, findings: null, verdict: null, status: null };

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set('X-Mva-Request', '1');
  const response = await fetch(path, { ...options, headers, credentials: 'same-origin' });
  if (response.status === 401) {
    showLoggedOut(t.sessionEnded);
    throw new Error(t.sessionEnded);
  }
  return response;
}

async function json(response) {
  try { return await response.json(); } catch { return {}; }
}

function say(text, kind = '') {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
}

function applyLanguage() {
  t = texts[lang];
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) {
    const text = t[el.dataset.t];
    if (typeof text === 'string') el.textContent = text;
  }
  $('lang').textContent = t.other;
  $('lang').lang = lang === 'nb' ? 'en' : 'nb';
  if (shown.pid !== null) $('user').textContent = t.loggedInAs + shown.pid;
  if (shown.findings) showFindings(shown.findings, shown.verdict);
  if (shown.status) render(shown.status);
}

// The verdict line: `{ service }` from a validation or `{ verdict }` from the feedback.
function verdictText(v) {
  if (!v) return '';
  return t.service + (v.service === 'not_asked' ? t.notAsked : String(v.service || v.verdict || ''));
}

function showLoggedOut(message) {
  $('loading').hidden = true;
  $('vat').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('logged-out').hidden = false;
  $('user').textContent = '';
  shown.pid = null;
  if (message) say(message, 'error');
}

async function loadSession() {
  let response;
  try {
    response = await fetch('/oauth2/session', { headers: { 'X-Mva-Request': '1' }, credentials: 'same-origin' });
  } catch (e) {
    showLoggedOut(t.error + e.message);
    return;
  }
  if (!response.ok) {
    showLoggedOut(response.status === 401 ? '' : t.error + ((await json(response)).message || response.status));
    return;
  }
  const session = await json(response);
  $('loading').hidden = true;
  $('logged-out').hidden = true;
  $('login').hidden = true;
  $('logout').hidden = false;
  $('vat').hidden = false;
  shown.pid = String(session.pid || '');
  $('user').textContent = t.loggedInAs + shown.pid;
  const pending = sessionStorage.getItem('mva-submission');
  if (pending) follow(pending);
}

function formData(withOrganisation) {
  const data = new FormData();
  if (withOrganisation) data.append('organisation', $('org').value.trim());
  const ret = $('return').files[0];
  if (ret) data.append('return', ret, ret.name);
  const env = $('envelope').files[0];
  if (env) data.append('envelope', env, env.name);
  for (const file of $('attachments').files) data.append('attachment', file, file.name);
  return data;
}

function selection() {
  const names = (input) => Array.from(input.files, (f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
  return [$('org').value.trim(), names($('return')), names($('envelope')), names($('attachments'))].join('#');
}

function showFindings(findings, verdict) {
  shown.findings = findings || [];
  shown.verdict = verdict;
  const body = $('findings').tBodies[0];
  body.replaceChildren();
  for (const f of findings || []) {
    const row = body.insertRow();
    row.className = String(f.severity || '');
    row.insertCell().textContent = t.sev[f.severity] || String(f.severity || '');
    const line = row.insertCell();
    line.className = 'line';
    line.textContent = f.line != null ? (f.column != null ? `${f.line}:${f.column}` : String(f.line)) : '';
    const where = row.insertCell();
    where.className = 'where';
    where.textContent = [f.mva_code ? `mvaKode ${f.mva_code}` : '', f.path || ''].filter(Boolean).join(' ');
    const text = row.insertCell();
    text.textContent = String(f.message || '') + (f.code ? ` [${f.code}]` : '');
  }
  const none = !findings || findings.length === 0;
  $('verdict').textContent = [verdictText(verdict), none ? t.noFindings : ''].filter(Boolean).join(' ');
  $('findings').hidden = none;
  $('findings-box').hidden = false;
}

async function validate(event) {
  event.preventDefault();
  validated = null;
  $('submit').disabled = true;
  say(t.validating);
  const data = formData(false);
  if ($('offline').checked) data.append('offline', '1');
  const current = selection();
  let response;
  try {
    response = await api('/api/validate', { method: 'POST', body: data });
  } catch (e) { say(t.error + e.message, 'error'); return; }
  const result = await json(response);
  // Files or number changed while the answer was on its way: it is not about what is chosen now.
  const stale = current !== selection();
  if (!response.ok) {
    say(t.error + (result.message || response.status), 'error');
    if (result.findings) showFindings(result.findings, null);
    return;
  }
  showFindings(result.findings, { service: result.service });
  const org = $('org').value.trim();
  if (result.organisation && !org) $('org').value = String(result.organisation);
  if (!result.valid) {
    say(t.invalid, 'error');
  } else if (result.organisation && org && org !== result.organisation) {
    say(t.orgMismatch + String(result.organisation), 'error');
  } else {
    validated = selection();
    $('submit').disabled = false;
    say(t.valid, 'ok');
  }
  if (stale) { validated = null; $('submit').disabled = true; }
}

async function submit() {
  if (validated !== selection()) { $('submit').disabled = true; return; }
  $('submit').disabled = true;
  say(t.submitting);
  let response;
  try {
    response = await api('/api/submissions', { method: 'POST', body: formData(true) });
  } catch (e) { say(t.error + e.message, 'error'); return; }
  const result = await json(response);
  if (!response.ok) {
    say(t.error + (result.message || response.status), 'error');
    if (result.findings) showFindings(result.findings, null);
    return;
  }
  sessionStorage.setItem('mva-submission', String(result.id));
  follow(String(result.id));
}

function step(text, done) {
  const li = document.createElement('li');
  li.textContent = text;
  if (done) li.className = 'done';
  return li;
}

function showPayment(p) {
  const dl = $('payment');
  dl.replaceChildren();
  if (!p) { dl.hidden = true; return; }
  const amount = String(p.amount || '');
  const rows = [
    [amount.startsWith('-') ? t.refund : t.pay, amount.replace(/^-/, '') + ' kr'],
    [t.kid, p.kid], [t.dueDate, p.due_date], [t.account, p.account], [t.reference, p.reference],
  ];
  for (const [name, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = String(value || '');
    dl.append(dt, dd);
  }
  dl.hidden = false;
}

async function offerFile(link, path, name) {
  const response = await api(path);
  if (!response.ok) return;
  const blob = await response.blob();
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.hidden = false;
}

function render(s) {
  shown.status = s;
  $('submission').hidden = false;
  $('steps').replaceChildren(
    step(t.stepCreated, s.instance_created),
    step(t.stepUploaded, s.uploaded),
    step(t.stepSubmitted, s.submitted),
    step(t.stepFeedback, s.state === 'done'),
  );
  $('retry').hidden = s.state !== 'failed';
  const fb = s.feedback;
  if (s.state === 'failed') {
    $('feedback').textContent = t.failed + String(s.error || '');
  } else if (fb) {
    $('feedback').textContent = t.done + [fb.substatus, fb.substatus_description].filter(Boolean).map(String).join(': ');
    showPayment(fb.payment);
    if (fb.findings && fb.findings.length && shown.findings !== fb.findings) showFindings(fb.findings, { verdict: fb.verdict });
  } else {
    $('feedback').textContent = s.submitted ? t.waiting : t.submitting;
  }
}

async function follow(id) {
  clearTimeout(polling);
  const base = '/api/submissions/' + encodeURIComponent(id);
  let response;
  try { response = await api(base); } catch { return; }
  if (response.status === 404) { sessionStorage.removeItem('mva-submission'); return; }
  const s = await json(response);
  if (!response.ok) { say(t.error + (s.message || response.status), 'error'); polling = setTimeout(() => follow(id), 5000); return; }
  render(s);
  if (s.state === 'running') {
    polling = setTimeout(() => follow(id), 1500);
    return;
  }
  if (s.state === 'done') {
    say('');
    if (s.feedback && s.feedback.receipt) await offerFile($('receipt'), base + '/receipt', `kvittering-${s.organisation}.pdf`);
    if (s.feedback && s.feedback.payment) await offerFile($('payment-file'), base + '/payment', `betalingsinformasjon-${s.organisation}.xml`);
  }
}

async function retry() {
  const id = sessionStorage.getItem('mva-submission');
  if (!id) return;
  await api('/api/submissions/' + encodeURIComponent(id) + '/resume', { method: 'POST' });
  follow(id);
}

function start() {
  applyLanguage();
  $('lang').addEventListener('click', () => {
    lang = lang === 'nb' ? 'en' : 'nb';
    localStorage.setItem('mva-lang', lang);
    applyLanguage();
  });
  $('login').addEventListener('click', () => { location.assign('/oauth2/login?redirect=%2F'); });
  $('logout').addEventListener('submit', () => { sessionStorage.removeItem('mva-submission'); });
  $('vat').addEventListener('submit', validate);
  $('submit').addEventListener('click', submit);
  $('retry').addEventListener('click', retry);
  for (const id of ['org', 'return', 'envelope', 'attachments']) {
    $(id).addEventListener('change', () => { if (validated !== selection()) $('submit').disabled = true; });
  }
  loadSession();
}

start();
