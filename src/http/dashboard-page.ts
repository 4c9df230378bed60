import { formatDuration } from '../index';
/**
 * The dashboard's one page: HTML, CSS and a small script, no build step and nothing fetched from
 * elsewhere (it works offline). It lists jobs newest first with filters, keeps them live from a
 * server-sent event stream (`api/events`), shows a job's record, and cancels where allowed.
 * Every value from a job is set as text, never as markup.
 */

/** What the page needs to know from the server. */
export interface DashboardPageOptions {
  title: string;
  /** Whether this requester may cancel jobs from the page. */
  canCancel: boolean;
  /** Whether this requester may retry durable jobs that failed or went stale. */
  canRetry: boolean;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --card: #f6f8fa; --accent: #2563eb;
  --running: #2563eb; --pending: #8a6d00; --completed: #15803d; --failed: #b91c1c; --cancelled: #6b7280; --stale: #9a3412; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1115; --fg: #e6e8eb; --muted: #9aa3ad; --line: #2a2f37; --card: #171a20; --accent: #60a5fa;
  --running: #60a5fa; --pending: #facc15; --completed: #4ade80; --failed: #f87171; --cancelled: #9ca3af; --stale: #fb923c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 12px 16px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 2; }
h1 { font-size: 18px; margin: 0; flex: 1 1 auto; }
#conn { font-size: 12px; color: var(--muted); }
#conn.live::before { content: "● "; color: var(--completed); }
#conn.down::before { content: "● "; color: var(--failed); }
form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; width: 100%; }
label { color: var(--muted); font-size: 12px; display: flex; gap: 4px; align-items: center; }
select, input { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); color: var(--fg); }
#count { color: var(--muted); font-size: 12px; }
#door { margin-left: auto; color: var(--muted); font-size: 12px; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 420px); }
main.nodetail { grid-template-columns: minmax(0, 1fr); }
#list { padding: 8px 16px; }
.job { display: grid; grid-template-columns: 92px minmax(0, 1fr) 150px 72px 64px; gap: 4px 12px; align-items: center; padding: 8px; border-bottom: 1px solid var(--line); cursor: pointer; }
.job:hover, .job.sel { background: var(--card); }
.badge { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
.s-pending { color: var(--pending); } .s-running { color: var(--running); } .s-completed { color: var(--completed); }
.s-failed { color: var(--failed); } .s-cancelled { color: var(--cancelled); } .s-stale { color: var(--stale); }
.label { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.msg { grid-column: 2 / 3; color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
progress { width: 100%; height: 8px; accent-color: var(--accent); }
.pct, .age { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; text-align: right; }
button { font: inherit; font-size: 12px; padding: 3px 10px; border-radius: 6px; border: 1px solid var(--failed); color: var(--failed); background: transparent; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
#detail { border-left: 1px solid var(--line); padding: 12px 16px; position: sticky; top: 96px; align-self: start; max-height: calc(100vh - 100px); overflow: auto; }
#detail h2 { font-size: 16px; margin: 0 0 8px; word-break: break-all; }
#detail dl { display: grid; grid-template-columns: 96px minmax(0, 1fr); gap: 4px 8px; margin: 0 0 12px; }
#detail dt { color: var(--muted); } #detail dd { margin: 0; word-break: break-all; }
pre { background: var(--card); padding: 8px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 320px; white-space: pre-wrap; word-break: break-all; }
.close { border-color: var(--line); color: var(--fg); float: right; }
.empty { color: var(--muted); padding: 24px 8px; }
#toast { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); background: var(--failed); color: #fff; padding: 8px 14px; border-radius: 6px; display: none; }
@media (max-width: 720px) {
  main, main.nodetail { grid-template-columns: minmax(0, 1fr); }
  .job { grid-template-columns: 80px minmax(0, 1fr) 56px; }
  .job progress { grid-column: 1 / 3; } .job .age { display: none; } .msg { grid-column: 1 / 4; }
  #detail { position: fixed; inset: 0; max-height: none; background: var(--bg); border: 0; z-index: 3; }
}`;

// The page's script: plain ES2020, no dependencies. Kept readable: it is what users debug.
const SCRIPT = `
(() => {
  const cfg = JSON.parse(document.getElementById('cfg').textContent);
  const $ = (id) => document.getElementById(id);
  const jobs = new Map();
  let selected = null, source = null;
  const ACTIVE = new Set(['pending', 'running']);
  const pct = (p) => (p && p.total > 0 ? Math.min(100, Math.round((p.current / p.total) * 100)) : null);
  const dur = ${formatDuration.toString()}; // the CLI's and health()'s format: one definition
  const elapsed = (j) => dur((j.completed_at ? Date.parse(j.completed_at) : Date.now()) - Date.parse(j.started_at || j.created_at));
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  function row(j) {
    const r = el('div', 'job'); r.dataset.id = j.id; r.setAttribute('role', 'listitem');
    r.append(el('span', 'badge'), el('span', 'label'), el('progress'), el('span', 'pct'), el('span', 'age'), el('span', 'msg'));
    fill(r, j); return r;
  }
  function fill(r, j) {
    const [badge, label, bar, p, age, msg] = r.children;
    badge.textContent = j.status; badge.className = 'badge s-' + j.status;
    label.textContent = j.label; label.title = j.label;
    const v = pct(j.progress);
    if (j.status === 'completed') { bar.max = 1; bar.value = 1; } else if (v !== null) { bar.max = 100; bar.value = v; } else if (ACTIVE.has(j.status)) { bar.removeAttribute('value'); } else { bar.max = 1; bar.value = 0; }
    p.textContent = j.status === 'completed' ? '100%' : v === null ? '' : v + '%';
    age.textContent = elapsed(j);
    msg.textContent = j.error ? (j.error.code ? j.error.code + ': ' : '') + j.error.message : (j.progress && j.progress.message) || '';
    r.classList.toggle('sel', j.id === selected);
  }
  const order = () => [...jobs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  function render() {
    const list = $('list'); const frag = document.createDocumentFragment();
    for (const j of order()) frag.append(row(j));
    list.replaceChildren(frag);
    if (jobs.size === 0) list.append(el('div', 'empty', 'No jobs match.'));
    $('count').textContent = jobs.size + (jobs.size === 1 ? ' job' : ' jobs');
  }
  function detail() {
    const d = $('detail'); const j = selected && jobs.get(selected);
    document.querySelector('main').classList.toggle('nodetail', !j);
    d.hidden = !j; if (!j) return;
    const close = el('button', 'close', 'Close'); close.onclick = () => { selected = null; render(); detail(); };
    const dl = el('dl');
    const add = (k, v) => { if (v !== null && v !== undefined && v !== '') dl.append(el('dt', '', k), el('dd', '', String(v))); };
    add('status', j.status); add('label', j.label); add('owner', j.owner); add('created', j.created_at); add('started', j.started_at);
    add('ended', j.completed_at); add('elapsed', elapsed(j));
    if (j.progress) add('progress', j.progress.current + (j.progress.total ? ' / ' + j.progress.total : '') + (j.progress.message ? ' — ' + j.progress.message : ''));
    if (j.call) {
      add('call', j.call.target); add('attempt', (j.attempt || 0) + ' of ' + (j.max_attempts || 1)); add('retry of', j.retry_of);
      if (j.status === 'pending') add('due', j.run_at);
      if (j.status === 'pending' && Date.parse(j.run_at || j.created_at) < Date.now() - 5000) add('unclaimed', 'due, but no running process has claimed it (its method may be known nowhere)');
    }
    const parts = [close, el('h2', '', j.label), el('div', 'badge s-' + j.status, j.status), dl];
    if (j.error) parts.push(el('h3', '', 'Error'), el('pre', 'error', JSON.stringify(j.error, null, 2)));
    if (j.status === 'completed') parts.push(el('h3', '', 'Result'), el('pre', 'result', JSON.stringify(j.result, null, 2).slice(0, 20000)));
    if (j.history && j.history.length) {
      const ol = el('ol', 'history');
      for (const h of j.history) ol.append(el('li', '', 'attempt ' + h.attempt + ': ' + h.status + (h.error ? ' — ' + (h.error.code ? h.error.code + ': ' : '') + h.error.message : '') + ' (' + h.ended_at + ')'));
      parts.push(el('h3', '', 'Earlier attempts'), ol);
    }
    if (cfg.canCancel && ACTIVE.has(j.status)) { const b = el('button', 'cancel', 'Cancel job'); b.onclick = () => act(j.id, 'cancel', b); parts.push(b); }
    if (cfg.canRetry && j.call && (j.status === 'failed' || j.status === 'stale')) { const b = el('button', 'retry', 'Retry'); b.onclick = () => act(j.id, 'retry', b); parts.push(b); }
    parts.push(el('h3', '', 'Record'), el('pre', 'record', JSON.stringify(j, null, 2).slice(0, 20000)));
    d.replaceChildren(...parts);
  }
  async function act(id, action, button) {
    button.disabled = true;
    const res = await fetch('api/jobs/' + encodeURIComponent(id) + '/' + action, { method: 'POST', headers: { 'x-requested-with': 'smart-async' } }).catch(() => null);
    if (!res || !res.ok) { button.disabled = false; toast('Could not ' + action + ': ' + (res ? (await res.json().catch(() => ({}))).error?.message || res.status : 'no connection')); return; }
    const { job } = await res.json(); jobs.set(job.id, job); if (action === 'retry') selected = job.id; render(); detail();
  }
  function toast(text) { const t = $('toast'); t.textContent = text; t.style.display = 'block'; setTimeout(() => (t.style.display = 'none'), 4000); }
  function query() {
    const q = new URLSearchParams(); const s = $('status').value, l = $('label').value.trim();
    if (s) q.set('status', s); if (l) q.set('label', l); q.set('limit', $('limit').value); return q;
  }
  // Admission, when the app limits it: running, waiting and refused calls; unclaimed durable jobs.
  async function door() {
    const res = await fetch('api/door').catch(() => null);
    const d = res && res.ok ? await res.json().catch(() => null) : null;
    const parts = [];
    if (d && d.admission) parts.push('running ' + d.admission.running + (d.admission.max ? '/' + d.admission.max : ''), 'waiting ' + d.admission.waiting, 'refused ' + d.admission.refused);
    if (d && d.unclaimed) parts.push(d.unclaimed + ' unclaimed');
    $('door').textContent = parts.join(' · ');
  }
  door(); setInterval(door, 2000);
  function connect() {
    if (source) source.close();
    history.replaceState(null, '', '?' + query());
    jobs.clear(); render(); $('conn').className = ''; $('conn').textContent = 'connecting';
    source = new EventSource('api/events?' + query());
    source.addEventListener('jobs', (e) => {
      const m = JSON.parse(e.data); let reorder = m.reset;
      if (m.reset) jobs.clear();
      for (const id of m.remove) { jobs.delete(id); reorder = true; }
      for (const j of m.upsert) { if (!jobs.has(j.id)) reorder = true; jobs.set(j.id, j); }
      if (reorder) render();
      else for (const j of m.upsert) { const r = document.querySelector('.job[data-id="' + j.id + '"]'); if (r) fill(r, j); }
      if (selected && m.upsert.some((j) => j.id === selected)) detail();
      $('conn').className = 'live'; $('conn').textContent = 'live';
    });
    source.addEventListener('problem', (e) => { $('conn').className = 'down'; $('conn').textContent = JSON.parse(e.data).message; });
    source.onerror = () => { $('conn').className = 'down'; $('conn').textContent = 'reconnecting'; };
  }
  $('list').addEventListener('click', (e) => { const r = e.target.closest('.job'); if (!r) return; selected = r.dataset.id; render(); detail(); });
  for (const id of ['status', 'limit']) $(id).addEventListener('change', connect);
  let typing; $('label').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(connect, 300); });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  setInterval(() => { for (const r of document.querySelectorAll('.job')) { const j = jobs.get(r.dataset.id); if (j && !j.completed_at) r.children[4].textContent = elapsed(j); } }, 1000);
  // Filters come from the address too, so a filtered view can be bookmarked or shared.
  const initial = new URLSearchParams(location.search);
  const pick = (id, v) => { if (v !== null && [...$(id).options].some((o) => o.value === v)) $(id).value = v; };
  pick('status', initial.get('status')); pick('limit', initial.get('limit')); $('label').value = (initial.get('label') || '').slice(0, 200);
  connect(); detail();
})();`;

/** The dashboard page for one requester. */
export function dashboardPage(options: DashboardPageOptions): string {
  const title = escapeHtml(options.title);
  const cfg = JSON.stringify({ canCancel: options.canCancel, canRetry: options.canRetry }).replace(/</g, '\\u003c');
  const statuses = ['pending', 'running', 'completed', 'failed', 'cancelled', 'stale']
    .map((s) => `<option value="${s}">${s}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${title}</h1><span id="conn">connecting</span>
  <form id="filters">
    <label>Status <select id="status"><option value="">all</option><option value="pending,running">active</option>${statuses}</select></label>
    <label>Label <input id="label" type="search" maxlength="200" placeholder="exact label"></label>
    <label>Show <select id="limit"><option>50</option><option selected>200</option><option>1000</option></select></label>
    <span id="door"></span><span id="count"></span>
  </form>
</header>
<main class="nodetail"><div id="list" role="list"></div><aside id="detail" hidden></aside></main>
<div id="toast" role="alert"></div>
<script id="cfg" type="application/json">${cfg}</script>
<script>${SCRIPT}</script>
</body>
</html>`;
}
