// The browser side of the console: one plain ES module (no framework, no build step), served as /console.js.
// The live lane comes over server-sent events (/api/live: a `live` picture on every change, `status` every 2 s);
// actions are JSON POSTs that carry the X-Console header (a cross-site form cannot set it). A 401 anywhere, or the
// stream's `ended` event, means the session expired: the page goes back to sign-in.
export const CONSOLE_JS = String.raw`
const w = JSON.parse(document.getElementById('words').textContent);
const $ = (id) => document.getElementById(id);
// A lane code with its name in the page's language where it has one: "放行 (open)".
const code = (v) => (w.codes[v] ? w.codes[v] + ' (' + v + ')' : v);
const text = (v) => (v === null || v === undefined || v === '' ? '–' : String(v));
const time = (iso) => { const d = new Date(iso); return isNaN(d) ? text(iso) : d.toLocaleTimeString(document.documentElement.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }); };
const ended = () => { location.href = '/login?ended=1'; };

function rows(id, list, cells, rowClass) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...list.map((item) => {
    const tr = document.createElement('tr');
    if (rowClass) tr.className = rowClass(item);
    for (const [value, cls] of cells(item)) {
      const td = document.createElement('td');
      td.textContent = text(value);
      // Arabic beside Latin text: each cell takes the direction of its own first strong character.
      td.dir = 'auto';
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  }));
}

function facts(id, pairs) {
  $(id).replaceChildren(...pairs.flatMap(([k, v, itemId]) => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = text(v); if (itemId) dd.id = itemId;
    return [dt, dd];
  }));
}

for (const b of document.querySelectorAll('nav button')) {
  b.addEventListener('click', () => {
    for (const o of document.querySelectorAll('nav button')) o.classList.toggle('on', o === b);
    for (const s of document.querySelectorAll('section')) s.hidden = s.id !== b.dataset.show;
    if (b.dataset.show === 'config') loadConfig();
  });
}

function confirmAction(message) {
  const d = $('confirm');
  $('confirm-text').textContent = message;
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

async function call(method, url, body) {
  const r = await fetch(url, { method, credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-console': '1' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { ended(); throw new Error('session ended'); }
  return r.json();
}

function showResult(id, r) {
  const el = $(id);
  el.textContent = r.line;
  el.className = 'result ' + (r.ok ? 'ok' : 'refused');
}

function renderLive(p) {
  const { mode, phase, linkUp, emergency } = p.lane;
  $('lane-mode').textContent = code(mode);
  $('lane-phase').textContent = code(phase);
  $('lane-link').textContent = linkUp ? w.yes : w.no;
  $('emergency').hidden = !emergency;
  rows('decisions', p.decisions, (d) => [[time(d.at)], [code(d.decision)], [d.reason], [d.train], [d.car], [d.seat], [d.docKey ? (d.docType || '') + ' ' + d.docKey : d.docType], [d.said ? d.language + ': ' + d.said.text : null]], (d) => d.decision);
  rows('passages', p.passages, (x) => [[time(x.at)], [code(x.outcome)], [x.ticketId]]);
  rows('alarms', p.alarms, (a) => [[time(a.at)], [a.type], [a.detail], [a.active ? w.yes : w.no]]);
}

function renderStatus(s) {
  rows('device-list', s.devices, (d) => [[d.name], [d.state, d.state], [d.port], [d.lastError ? d.lastError + ' (' + time(d.lastErrorAt) + ')' : null], [d.fix, 'fix']]);
  const c = s.cache;
  facts('cache-facts', [
    [w.passengers, c.passengers, 'cache-passengers'], [w.tickets, c.tickets, 'cache-tickets'],
    [w.epoch, c.epoch, 'cache-epoch'], [w.seq, c.seq, 'cache-seq'],
    [w.age, c.ageSeconds === null ? null : Math.round(c.ageSeconds / 60) + ' ' + w.minutes + ' (' + w.staleAfter + ' ' + c.maxAgeMinutes + ' ' + w.minutes + ')', 'cache-age'],
    [w.state, c.verdictLine, 'cache-verdict'],
    [w.lastRefusal, c.lastRefusal ? time(c.lastRefusal.at) + ' ' + c.lastRefusal.kind + ' ' + c.lastRefusal.detail : w.none, 'cache-refusal'],
  ]);
  const o = s.outbox;
  facts('outbox-facts', [
    [w.pending, o.pending, 'outbox-pending'],
    [w.oldest, o.oldestPendingAgeSeconds === null ? w.none : o.oldestPendingAgeSeconds + ' ' + w.seconds, 'outbox-oldest'],
    [w.lastSeq, o.lastSeq, 'outbox-last-seq'],
    [w.broker, (o.broker.url || '') + ' ' + (o.broker.connected ? w.connected : w.disconnected), 'outbox-broker'],
  ]);
}

function connect() {
  const es = new EventSource('/api/live');
  es.addEventListener('open', () => { $('stream').textContent = w.connected; $('stream').className = 'badge live'; });
  es.addEventListener('live', (e) => renderLive(JSON.parse(e.data)));
  es.addEventListener('status', (e) => renderStatus(JSON.parse(e.data)));
  es.addEventListener('ended', () => { es.close(); ended(); });
  es.addEventListener('error', () => {
    $('stream').textContent = w.disconnected; $('stream').className = 'badge';
    // A stream the server refused (session gone) does not come back by itself: ask once whether we are signed in.
    fetch('/api/whoami', { credentials: 'same-origin' }).then((r) => { if (r.status === 401) { es.close(); ended(); } }, () => undefined);
  });
}

$('lane-test').addEventListener('click', async () => {
  if (!(await confirmAction(w.confirmLaneTest))) return;
  $('lane-result').textContent = w.running; $('lane-result').className = 'result';
  showResult('lane-result', await call('POST', '/api/lane-test', {}));
});

$('set-mode').addEventListener('click', async () => {
  const mode = $('mode-choice').value;
  if (!(await confirmAction(w.confirmMode + ' ' + mode + '?'))) return;
  showResult('lane-result', await call('POST', '/api/mode', { mode }));
});

$('resync').addEventListener('click', async () => {
  if (!(await confirmAction(w.confirmResync))) return;
  showResult('resync-result', await call('POST', '/api/resync', {}));
});

$('run-doctor').addEventListener('click', async () => {
  const r = await call('POST', '/api/doctor', {});
  rows('doctor', r.results, (c) => [[c.status.toUpperCase(), c.status], [c.name], [c.line, 'fix']]);
});

let configLoaded = false;
async function loadConfig() {
  if (configLoaded) return;
  const r = await call('GET', '/api/config');
  $('config-running').textContent = r.text;
  $('config-edit').value = r.text;
  configLoaded = true;
}

$('config-check').addEventListener('click', async () => {
  const r = await call('POST', '/api/config-check', { text: $('config-edit').value });
  const out = $('config-result');
  out.replaceChildren();
  const head = document.createElement('p');
  head.textContent = r.ok ? w.configOk : w.configProblems;
  head.className = r.ok ? 'ok' : 'refused';
  out.append(head);
  if (r.ok) {
    const pre = document.createElement('pre'); pre.id = 'config-install'; pre.textContent = $('config-edit').value; out.append(pre);
  } else {
    const ul = document.createElement('ul'); ul.id = 'config-problems';
    for (const p of r.problems) { const li = document.createElement('li'); li.textContent = p; ul.append(li); }
    out.append(ul);
  }
});

connect();
`;
