// The console's HTML: a sign-in page and one page with a section per panel, rendered in the browser's language.
// No build step: the markup is written here, the behaviour is one plain browser script (client-script.ts) and one
// stylesheet, all served from this module. The words travel to the script as JSON in a non-executed <script>.
import { CODE_WORDS, WORDS, type Language, type Words } from './i18n.js';
import { LANE_MODES } from '../decide/lane-rules.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function shell(lang: Language, body: string): string {
  const w = WORDS[lang];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(w.title)}</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
${body}
</body>
</html>
`;
}

export function loginPage(lang: Language, gateName: string, message: string | null): string {
  const w = WORDS[lang];
  return shell(
    lang,
    `<main class="login">
<h1>${escapeHtml(w.title)} <small>${escapeHtml(gateName)}</small></h1>
${message ? `<p class="error" role="alert" id="login-error">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/login">
<label>${escapeHtml(w.user)} <input name="user" id="user" autocomplete="username" required maxlength="32"></label>
<label>${escapeHtml(w.password)} <input name="password" id="password" type="password" autocomplete="current-password" required maxlength="256"></label>
<button type="submit" id="sign-in">${escapeHtml(w.signIn)}</button>
</form>
</main>`,
  );
}

const SECTIONS = ['live', 'devices', 'cache', 'outbox', 'lane', 'config'] as const;

function table(id: string, heads: (keyof Words)[], w: Words): string {
  return `<div class="scroll"><table id="${id}"><thead><tr>${heads.map((h) => `<th>${escapeHtml(w[h])}</th>`).join('')}</tr></thead><tbody></tbody></table></div>`;
}

export function appPage(lang: Language, gateName: string, user: string): string {
  const w = WORDS[lang];
  const words = JSON.stringify({ ...w, codes: CODE_WORDS[lang] }).replace(/</g, '\\u003c');
  return shell(
    lang,
    `<header>
<h1>${escapeHtml(w.title)} <small>${escapeHtml(gateName)}</small></h1>
<span id="stream" class="badge">${escapeHtml(w.disconnected)}</span>
<span class="who">${escapeHtml(w.signedInAs)} <b id="who">${escapeHtml(user)}</b></span>
<form method="post" action="/logout"><button type="submit" id="sign-out">${escapeHtml(w.signOut)}</button></form>
</header>
<nav>${SECTIONS.map((s, i) => `<button type="button" data-show="${s}" id="tab-${s}"${i === 0 ? ' class="on"' : ''}>${escapeHtml(w[s])}</button>`).join('')}</nav>
<div id="emergency" class="emergency" hidden>${escapeHtml(w.emergency)}</div>
<section id="live">
<dl class="facts"><dt>${escapeHtml(w.mode)}</dt><dd id="lane-mode">-</dd><dt>${escapeHtml(w.phase)}</dt><dd id="lane-phase">-</dd><dt>${escapeHtml(w.link)}</dt><dd id="lane-link">-</dd></dl>
<h2>${escapeHtml(w.decisions)}</h2>
${table('decisions', ['time', 'decision', 'reason', 'train', 'car', 'seat', 'document', 'toldPassenger'], w)}
<h2>${escapeHtml(w.passages)}</h2>
${table('passages', ['time', 'outcome', 'ticket'], w)}
<h2>${escapeHtml(w.alarms)}</h2>
${table('alarms', ['time', 'type', 'detail', 'active'], w)}
</section>
<section id="devices" hidden>
${table('device-list', ['device', 'state', 'port', 'lastError', 'fix'], w)}
<button type="button" id="run-doctor">${escapeHtml(w.runDoctor)}</button>
${table('doctor', ['result', 'check', 'detail'], w)}
</section>
<section id="cache" hidden>
<dl class="facts" id="cache-facts"></dl>
<button type="button" id="resync">${escapeHtml(w.resync)}</button>
<p id="resync-result" class="result"></p>
</section>
<section id="outbox" hidden>
<dl class="facts" id="outbox-facts"></dl>
</section>
<section id="lane" hidden>
<p><button type="button" id="lane-test">${escapeHtml(w.laneTest)}</button></p>
<p><label>${escapeHtml(w.setMode)} <select id="mode-choice">${LANE_MODES.map((m) => `<option value="${m}">${escapeHtml(CODE_WORDS[lang][m] ? `${CODE_WORDS[lang][m]} (${m})` : m)}</option>`).join('')}</select></label>
<button type="button" id="set-mode">${escapeHtml(w.confirm)}…</button></p>
<p id="lane-result" class="result" role="status"></p>
</section>
<section id="config" hidden>
<h2>${escapeHtml(w.runningConfig)}</h2>
<pre id="config-running"></pre>
<h2>${escapeHtml(w.editedCopy)}</h2>
<textarea id="config-edit" spellcheck="false" rows="16"></textarea>
<button type="button" id="config-check">${escapeHtml(w.checkConfig)}</button>
<div id="config-result" class="result"></div>
</section>
<dialog id="confirm"><form method="dialog"><p id="confirm-text"></p>
<button value="cancel" id="confirm-cancel">${escapeHtml(w.cancel)}</button> <button value="ok" id="confirm-ok">${escapeHtml(w.confirm)}</button></form></dialog>
<script type="application/json" id="words">${words}</script>
<script type="module" src="/console.js"></script>`,
  );
}

/** Large touch targets and tables that scroll sideways: usable on a 7-inch tablet held either way. */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,"Noto Sans CJK SC",sans-serif;color:#1b1b1b;background:#f4f5f7}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 1rem;background:#163a5f;color:#fff}
header h1{font-size:1.2rem;margin:0;flex:1 1 auto}
header small,.login small{font-weight:normal;opacity:.8}
header form{margin:0}
nav{display:flex;flex-wrap:wrap;gap:.25rem;padding:.5rem 1rem;background:#dfe5ec}
button,select,input,textarea{font:inherit;min-height:44px}
button{padding:.4rem .9rem;border:1px solid #163a5f;border-radius:6px;background:#fff;color:#163a5f;cursor:pointer}
nav button.on{background:#163a5f;color:#fff}
section{padding:.5rem 1rem 2rem}
h2{font-size:1rem;margin:1rem 0 .25rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{border-bottom:1px solid #e1e4e8;padding:.3rem .5rem;text-align:left;white-space:nowrap}
tr.open td:nth-child(2){color:#0a7a32;font-weight:bold}
tr.reject td:nth-child(2){color:#b3261e;font-weight:bold}
td.ok{color:#0a7a32}td.fail,td.fault{color:#b3261e;font-weight:bold}td.warn,td.degraded,td.absent{color:#8a5a00}
td.fix{white-space:normal;min-width:16rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;padding:.5rem 1rem;margin:0}
dt{font-weight:bold}dd{margin:0}
.badge{padding:.1rem .5rem;border-radius:1rem;background:#b3261e}
.badge.live{background:#0a7a32}
.emergency{background:#b3261e;color:#fff;font-weight:bold;padding:.75rem 1rem}
.result{white-space:pre-wrap}
.result.refused,.result .refused{color:#b3261e}
pre,textarea{width:100%;background:#fff;border:1px solid #ccd;padding:.5rem;font:13px/1.35 ui-monospace,monospace;overflow:auto;max-height:50vh}
.login{max-width:24rem;margin:3rem auto;padding:1rem;background:#fff;border-radius:8px}
.login label{display:block;margin:.5rem 0}.login input{width:100%}
.error{color:#b3261e;font-weight:bold}
dialog{max-width:28rem;border-radius:8px}
`;
