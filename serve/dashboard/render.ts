import { createHash } from 'node:crypto';
import { rollbackStage } from '../../flags/stages.js';
import { STAGES, type Stage } from '../../flags/types.js';
import type { ClientCutover, CutoverReport, PhaseProgress, TrendDay } from './cutover-report.js';

export interface RenderOptions {
  /**
   * The support view, for the admin the server authenticated (the page is served only to an admin key): promote
   * and rollback per client. `false` for the static file, which has no controls and no script.
   */
  support: false | { actor: string };
}

const STAGE_TEXT: Record<Stage, { color: string; meaning: string }> = {
  legacy: { color: '#8a96a3', meaning: 'served by the legacy system' },
  shadow: { color: '#d08c00', meaning: 'new pipeline runs alongside and is compared daily' },
  live: { color: '#2f6fdf', meaning: 'served by the new pipeline, legacy kept as a check' },
  complete: { color: '#2e8b57', meaning: 'migrated; legacy retired' },
};

const CSS = `
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:20px 32px}
header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;color:#c6ccd6}
main{padding:20px 32px;max-width:1400px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:16px 20px;margin:0 0 18px}
h2{margin:0 0 10px;font-size:18px}
.headline{font-size:18px;margin:0 0 12px}
.stale{background:#fff4d6;color:#6b4d00;padding:8px 12px;border-radius:6px;margin-top:10px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:12px}
.tile{flex:1 1 160px;border-radius:8px;padding:10px 14px;background:#f5f6f8;border-top:5px solid #8a96a3}
.tile .n{display:block;font-size:32px;font-weight:700}
.tile .label{font-weight:600;text-transform:capitalize}
.tile .meaning{display:block;font-size:13px;color:#5b6573}
.tile.legacy{border-color:#8a96a3}.tile.shadow{border-color:#d08c00}.tile.live{border-color:#2f6fdf}.tile.complete{border-color:#2e8b57}
svg{max-width:100%;height:auto;display:block}
svg text{font:12px system-ui,sans-serif;fill:#1d2430}
svg .axis{fill:#5b6573}
.charts{display:flex;gap:20px;flex-wrap:wrap}
.charts figure{flex:1 1 420px;margin:0}
figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{font-size:13px;color:#5b6573;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:13px;font-weight:600}
.badge.legacy{background:#8a96a3}.badge.shadow{background:#d08c00}.badge.live{background:#2f6fdf}.badge.complete{background:#2e8b57}
.open{color:#2e8b57;font-weight:600}.closed{color:#b3261e;font-weight:600}.muted{color:#5b6573}
ul.why{margin:4px 0 0;padding-left:18px;font-size:13px;color:#5b6573}
.chip{display:inline-block;margin:0 4px 3px 0;padding:0 6px;border-radius:4px;font-size:12px;background:#e8f3ec;color:#1f6b3f}
.chip.fail{background:#fbe9e7;color:#9b1c13}
.phase{display:grid;grid-template-columns:220px 1fr;gap:4px 16px;align-items:center;padding:6px 0;border-bottom:1px solid #e3e6ea}
.phase:last-child{border-bottom:0}
.phase .who{grid-column:2;font-size:13px;color:#5b6573}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline li{padding:6px 0;border-bottom:1px solid #e3e6ea}
ol.timeline time{color:#5b6573;font-size:13px;margin-right:8px}
details summary{cursor:pointer;color:#2f6fdf;margin-top:8px}
input{font:inherit;padding:5px 8px;border:1px solid #b8c0ca;border-radius:5px}
button{font:inherit;padding:5px 12px;border-radius:5px;border:1px solid #1d2430;background:#1d2430;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d2430}
button.rollback{background:#b3261e;border-color:#b3261e}
button:disabled{opacity:.5;cursor:default}
form.act{display:flex;flex-direction:column;gap:4px;min-width:220px}
form.act div{display:flex;gap:4px;flex-wrap:wrap}
.message{padding:8px 12px;border-radius:6px;margin-top:10px;white-space:pre-line}
.message.ok{background:#e8f3ec;color:#1f6b3f}.message.error{background:#fbe9e7;color:#9b1c13}
`;

// Runs only in the served page. The page is served only to an admin key given through HTTP Basic auth (or a
// header); the browser sends the same credentials with these same-origin calls, so the script never sees the key.
// After a change the page is reloaded, so the server renders the new state.
const SCRIPT = `(() => {
  const FLASH = 'bosco.flash';
  const message = document.querySelector('#support-message');
  const show = (text, kind) => { message.textContent = text; message.className = 'message ' + kind; message.hidden = false; };
  const describe = (body, status) => body && body.error ? body.error.message + (body.error.hint ? '\\n' + body.error.hint : '') : 'the server answered ' + status;
  for (const form of document.querySelectorAll('form.act')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const action = event.submitter && event.submitter.value;
      const reason = form.elements.reason.value.trim();
      if (!action) return;
      if (!reason) { show('Give a reason: it goes in the audit log.', 'error'); form.elements.reason.focus(); return; }
      for (const button of form.querySelectorAll('button')) button.disabled = true;
      try {
        const response = await fetch('/v1/clients/' + encodeURIComponent(form.dataset.client) + '/' + action, {
          method: 'POST', credentials: 'same-origin', cache: 'no-store',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reason, expected_stage: form.dataset.stage }),
        });
        const body = await response.json().catch(() => undefined);
        if (response.ok) {
          const o = body.outcome;
          sessionStorage.setItem(FLASH, o.clientId + ': ' + o.from + ' → ' + o.to + ' (' + o.action + '), recorded as ' + o.entry.entry_id);
          location.reload();
          return;
        }
        show(form.dataset.client + ': ' + describe(body, response.status), 'error');
      } catch (error) {
        show(form.dataset.client + ': ' + error.message, 'error');
      }
      for (const button of form.querySelectorAll('button')) button.disabled = false;
    });
  }
  const flash = sessionStorage.getItem(FLASH);
  if (flash) { sessionStorage.removeItem(FLASH); show(flash, 'ok'); }
})();`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page's Content Security Policy: nothing loads from anywhere, and only the page's own style and script run
 * (by hash), so injected markup could neither run nor phone home.
 */
export function dashboardCsp(options: RenderOptions): string {
  const script = options.support ? `script-src ${sha256(SCRIPT)}; connect-src 'self'` : `script-src 'none'`;
  return `default-src 'none'; style-src ${sha256(CSS)}; ${script}; img-src data:; form-action 'none'; base-uri 'none'`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const percent = (value: number, digits = 1) => `${(value * 100).toFixed(digits)}%`;
const signedPercent = (value: number) => `${value > 0 ? '+' : ''}${percent(value, 2)}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function when(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** A round number at or above `value`, for an axis's top. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].map((step) => step * magnitude).find((top) => top >= value) ?? 10 * magnitude);
}

function stageBar(counts: Record<Stage, number>): string {
  const total = STAGES.reduce((sum, stage) => sum + counts[stage], 0);
  const width = 600;
  let x = 0;
  const segments = STAGES.filter((stage) => counts[stage] > 0).map((stage) => {
    const w = (counts[stage] / total) * width;
    const label = w >= 70 ? `${stage} ${counts[stage]}` : w >= 22 ? String(counts[stage]) : '';
    const segment =
      `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="34" fill="${STAGE_TEXT[stage].color}"><title>${esc(`${stage}: ${plural(counts[stage], 'client')}`)}</title></rect>` +
      (label ? `<text x="${(x + w / 2).toFixed(1)}" y="22" text-anchor="middle" fill="#fff">${esc(label)}</text>` : '');
    x += w;
    return segment;
  });
  return `<svg viewBox="0 0 ${width} 34" width="${width}" height="34" role="img" aria-label="${esc(STAGES.map((s) => `${counts[s]} ${s}`).join(', '))}">${total === 0 ? `<rect width="${width}" height="34" fill="#e3e6ea"/>` : segments.join('')}</svg>`;
}

interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  value: (day: TrendDay) => number;
}

/** A line chart of the trend, one x step per calendar day, so a day without reconciles shows as a gap. */
function lineChart(trend: readonly TrendDay[], series: readonly Series[], label: string): string {
  const [W, H, left, right, top, bottom] = [560, 210, 44, 16, 12, 28];
  const first = trend[0]!.date;
  const span = Math.max(1, daysBetween(first, trend.at(-1)!.date));
  const yTop = niceMax(Math.max(...series.flatMap((s) => trend.map(s.value))));
  const px = (date: string) => left + (trend.length === 1 ? (W - left - right) / 2 : (daysBetween(first, date) / span) * (W - left - right));
  const py = (value: number) => top + (1 - value / yTop) * (H - top - bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = py(f * yTop).toFixed(1);
    const value = Number.isInteger(f * yTop) ? String(f * yTop) : (f * yTop).toFixed(1);
    return `<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#e3e6ea"/><text class="axis" x="${left - 6}" y="${Number(y) + 4}" text-anchor="end">${value}</text>`;
  });
  const xLabels = [...new Set([first, trend[Math.floor((trend.length - 1) / 2)]!.date, trend.at(-1)!.date])].map(
    (date) => `<text class="axis" x="${px(date).toFixed(1)}" y="${H - 8}" text-anchor="middle">${date.slice(5)}</text>`,
  );
  const lines = series.map((s) => {
    // Consecutive days are joined; a missing day breaks the line.
    const runs: TrendDay[][] = [];
    for (const day of trend) {
      const run = runs.at(-1);
      if (run && daysBetween(run.at(-1)!.date, day.date) === 1) run.push(day);
      else runs.push([day]);
    }
    const paths = runs
      .filter((run) => run.length > 1)
      .map((run) => `<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''} points="${run.map((d) => `${px(d.date).toFixed(1)},${py(s.value(d)).toFixed(1)}`).join(' ')}"/>`);
    const dots = trend.map((d) => `<circle cx="${px(d.date).toFixed(1)}" cy="${py(s.value(d)).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(`${d.date} ${s.name}: ${s.value(d)}`)}</title></circle>`);
    const last = trend.at(-1)!;
    const end = `<text x="${Math.min(px(last.date) + 6, W - right).toFixed(1)}" y="${(py(s.value(last)) - 6).toFixed(1)}" text-anchor="${trend.length === 1 ? 'start' : 'end'}" fill="${s.color}">${s.value(last)}</text>`;
    return paths.join('') + dots.join('') + end;
  });
  const legend = series.map((s, i) => `<rect x="${left + i * 170}" y="7" width="14" height="3" fill="${s.color}"/><text x="${left + 20 + i * 170}" y="13">${esc(s.name)}</text>`);
  return `<svg viewBox="0 0 ${W} ${H + 24}" width="${W}" height="${H + 24}" role="img" aria-label="${esc(label)}">${legend.join('')}<g transform="translate(0,24)">${grid.join('')}${xLabels.join('')}${lines.join('')}</g></svg>`;
}

function trendSection(report: CutoverReport): string {
  const { trend } = report;
  if (trend.length === 0) return `<section id="trend"><h2>Daily comparison</h2><p class="muted">No shadow reconciles between ${report.window.from} and ${report.window.to} yet.</p></section>`;
  const clean = lineChart(trend, [
    { name: 'clients clean', color: '#2e8b57', value: (d) => d.clients_clean },
    { name: 'clients compared', color: '#8a96a3', dashed: true, value: (d) => d.clients_reconciled },
  ], 'Clients whose numbers matched, per day');
  const rows = lineChart(trend, [{ name: 'mismatched rows', color: '#b3261e', value: (d) => d.mismatched_rows }], 'Rows that differ between legacy and new, per day');
  const table = trend.map((d) => `<tr><td>${d.date}</td><td>${d.clients_clean} of ${d.clients_reconciled}</td><td>${d.mismatched_rows}</td></tr>`).join('');
  return `<section id="trend"><h2>Daily comparison, legacy against new</h2>
<div class="charts"><figure><figcaption>Clients whose numbers matched</figcaption>${clean}</figure><figure><figcaption>Rows that differ</figcaption>${rows}</figure></div>
<details><summary>The numbers behind the charts</summary><table><thead><tr><th>Day</th><th>Clients clean</th><th>Mismatched rows</th></tr></thead><tbody>${table}</tbody></table></details>
</section>`;
}

function phaseRow(phase: PhaseProgress): string {
  const total = phase.clients.length;
  const width = 300;
  const done = (phase.reached / total) * width;
  const status = { done: 'done', 'in-progress': 'in progress', 'not-started': 'not started' }[phase.status];
  const unknown = phase.unknown_clients.length ? ` <span class="closed">(not in the config: ${esc(phase.unknown_clients.join(', '))})</span>` : '';
  return `<div class="phase" data-phase="${esc(phase.name)}"><div><b>${esc(phase.name)}</b><br><span class="muted">${status}</span></div>
<div><svg viewBox="0 0 ${width + 150} 18" width="${width + 150}" height="18" role="img" aria-label="${phase.reached} of ${total} ${phase.target} or beyond"><rect width="${width}" height="14" y="2" rx="7" fill="#e3e6ea"/><rect width="${done.toFixed(1)}" height="14" y="2" rx="7" fill="${STAGE_TEXT[phase.target].color}"/><text x="${width + 8}" y="14">${phase.reached} of ${total} ${esc(phase.target)} or beyond</text></svg></div>
<div class="who">${esc(phase.clients.join(', '))}${unknown}</div></div>`;
}

function phasesSection(report: CutoverReport): string {
  const body = report.phases.length > 0 ? report.phases.map(phaseRow).join('') : '<p class="muted">No phases are planned yet (set <code>flags.phases</code> in the config to show the rollout plan).</p>';
  return `<section id="phases"><h2>Planned phases</h2>${body}</section>`;
}

function gateCell(client: ClientCutover): string {
  if (!client.configured) return '<span class="muted">not in the config</span>';
  if (!client.gate) return '<span class="muted">final stage</span>';
  if (client.gate.open) return `<span class="open">Open</span> to ${esc(client.gate.to)}`;
  return `<span class="closed">Closed</span> to ${esc(client.gate.to)}<ul class="why">${client.gate.blockers.map((b) => `<li>${esc(b)}</li>`).join('')}</ul>`;
}

/** The gate's own count: clean final days of those needed, and the days still pending (neither clean nor failing). */
function streakCell(client: ClientCutover): string {
  const streak = client.clean_streak;
  if (!streak) return '<span class="muted" title="the next move needs no clean days">—</span>';
  const pending = streak.pending_days.length
    ? `<br><span class="muted" data-pending title="${esc(`not final yet: ${streak.pending_days.join(', ')}`)}">${streak.pending_days.length} pending</span>`
    : '';
  const title = streak.broken ? `counted back from ${streak.through}; broken at ${streak.broken}` : `counted back from ${streak.through}`;
  return `<span title="${esc(title)}">${streak.final_days} of ${plural(streak.needed, 'final day')}</span>${pending}`;
}

function reconcileCell(client: ClientCutover): string {
  const last = client.last_reconcile;
  if (!last) return '<span class="muted">never compared</span>';
  const chips = last.metrics.map((m) => {
    const detail = m.status === 'fail' ? ` ${m.rel_delta === null ? `Δ ${m.delta}` : signedPercent(m.rel_delta)}` : '';
    return `<span class="chip ${m.status}" title="${esc(`${m.metric}: ${m.status}, ${plural(m.rows_mismatched, 'row')} mismatched`)}">${esc(m.metric)} ${m.status === 'pass' ? '✓' : '✗'}${esc(detail)}</span>`;
  });
  const r = last.rows;
  const problems = [r.missing_in_new && `${r.missing_in_new} missing in new`, r.missing_in_legacy && `${r.missing_in_legacy} missing in legacy`, r.duplicate_keys && plural(r.duplicate_keys, 'duplicate key')].filter(Boolean);
  if (problems.length) chips.push(`<span class="chip fail">rows: ${esc(problems.join(', '))}</span>`);
  return `<span class="muted">${last.date}</span> <b class="${last.status === 'pass' ? 'open' : 'closed'}">${last.status === 'pass' ? 'match' : 'differ'}</b><br>${chips.join('')}`;
}

function actionsCell(client: ClientCutover): string {
  if (!client.can_promote && !client.can_rollback) return '<td data-support><span class="muted">no action</span></td>';
  const buttons = [
    client.can_promote && client.gate ? `<button type="submit" name="action" value="promote"${client.gate.open ? '' : ' title="the gate is closed: the promotion will be refused"'}>Promote to ${esc(client.gate.to)}</button>` : '',
    client.can_rollback ? `<button type="submit" name="action" value="rollback" class="rollback">Roll back to ${esc(rollbackStage(client.stage))}</button>` : '',
  ];
  return `<td data-support><form class="act" data-client="${esc(client.client_id)}" data-stage="${esc(client.stage)}" method="post" action="#"><input name="reason" required maxlength="500" placeholder="Reason (required, goes in the audit log)" aria-label="Reason for ${esc(client.client_id)}"><div>${buttons.join('')}</div></form></td>`;
}

function clientsSection(report: CutoverReport, options: RenderOptions): string {
  const rows = report.clients.map((c) => {
    const sla = c.sla.hit_rate === null ? '<span class="muted">—</span>' : `${percent(c.sla.hit_rate)} <span class="muted">(${c.sla.met}/${c.sla.met + c.sla.missed})</span>`;
    const days = c.days_in_stage === null ? '<span class="muted" title="no stage change recorded">—</span>' : String(c.days_in_stage);
    return `<tr data-client="${esc(c.client_id)}"><td><b>${esc(c.client_id)}</b></td><td data-field="stage"><span class="badge ${c.stage}">${c.stage}</span></td><td data-field="days-in-stage">${days}</td><td data-field="clean-streak">${streakCell(c)}</td><td data-field="gate">${gateCell(c)}</td><td data-field="last-reconcile">${reconcileCell(c)}</td><td data-field="sla">${sla}</td>${options.support ? actionsCell(c) : ''}</tr>`;
  });
  const head = ['Client', 'Stage', 'Days in stage', 'Clean streak', 'Promotion gate', 'Last comparison', 'SLA hit rate'].map((h) => `<th>${h}</th>`).join('') + (options.support ? '<th data-support>Support</th>' : '');
  return `<section id="clients"><h2>Clients</h2><table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="muted">Clean streak: final days in a row whose latest comparison matched (or whose differences are accepted), as the promotion gate counts them; days younger than the platforms' restatement window are pending, neither clean nor failing. SLA: days the new pipeline's data was ready by 08:00 in the client's time zone, ${report.window.from} to ${report.window.to}.</p></section>`;
}

function timelineSection(report: CutoverReport): string {
  if (report.timeline.length === 0) return '<section id="timeline"><h2>Flag changes</h2><p class="muted">No flag changes recorded yet.</p></section>';
  const items = report.timeline.map((e) => {
    const move = e.from_stage !== null && e.to_stage !== null ? `${e.from_stage} → ${e.to_stage}` : '';
    return `<li data-client="${esc(e.client_id)}" data-action="${esc(e.action)}"><time datetime="${esc(e.at)}">${esc(when(e.at))}</time><b>${esc(e.client_id)}</b> ${esc(e.action)}${move ? ` ${esc(move)}` : ''} <span class="muted">by ${esc(e.actor)}</span> — “${esc(e.reason)}”</li>`;
  });
  const more = report.timeline_total > report.timeline.length ? `<p class="muted">Showing the newest ${report.timeline.length} of ${report.timeline_total} entries; <code>bosco flags history &lt;client&gt;</code> has them all.</p>` : '';
  return `<section id="timeline"><h2>Flag changes</h2><ol class="timeline">${items.join('')}</ol>${more}</section>`;
}

function supportSection(actor: string): string {
  return `<section id="support"><h2>Support</h2>
<p>Signed in as <b id="signed-in-as">${esc(actor)}</b> with an admin key (the browser keeps it until it is closed). Each client's row offers promote (the promotion gate applies) and rollback; every change needs a reason and is recorded in the audit log under this name.</p>
<noscript><p class="muted">Promote and rollback need JavaScript; everything else on this page reads without it.</p></noscript>
<div id="support-message" class="message" role="status" hidden></div></section>`;
}

/** The cutover dashboard as one self-contained HTML page: inline style, inline SVG charts, no external URL. Pure. */
export function renderDashboardHtml(report: CutoverReport, options: RenderOptions): string {
  const counts = report.stage_counts;
  const total = STAGES.reduce((sum, stage) => sum + counts[stage], 0);
  const onNew = counts.live + counts.complete;
  const open = report.clients.filter((c) => c.gate?.open && c.gate.to !== 'shadow').length;
  const latest = report.trend.at(-1);
  const headline = [
    `<b>${onNew} of ${plural(total, 'client')}</b> ${onNew === 1 ? 'is' : 'are'} served by the new pipeline`,
    `${counts.shadow} in shadow`,
    `${plural(open, 'client')} cleared to move up a stage (gate open)`,
    latest ? `${latest.clients_clean} of ${latest.clients_reconciled} matched on ${latest.date}` : '',
  ].filter(Boolean).join(' · ');
  const tiles = STAGES.map((stage) => `<div class="tile ${stage}" data-stage-count="${stage}"><span class="n">${counts[stage]}</span><span class="label">${stage}</span><span class="meaning">${STAGE_TEXT[stage].meaning}</span></div>`).join('');
  const stale = report.stages_stale ? '<p class="stale">The flag store could not be reached: stages are the last ones seen.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(dashboardCsp(options))}">
<meta name="referrer" content="no-referrer">
<title>Cutover dashboard · Ask Bosco migration</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>Migration cutover: legacy to the new pipeline</h1>
<p>Updated ${esc(when(report.generated_at))} · gates decided for ${report.today} · trend ${report.window.from} to ${report.window.to}</p>${stale}</header>
<main>
<section id="summary"><h2>Where the clients are</h2><p class="headline">${headline}</p><div class="tiles">${tiles}</div>${stageBar(counts)}</section>
${phasesSection(report)}
${trendSection(report)}
${options.support ? supportSection(options.support.actor) : ''}
${clientsSection(report, options)}
${timelineSection(report)}
</main>
${options.support ? `<script>${SCRIPT}</script>` : ''}
</body>
</html>
`;
}
