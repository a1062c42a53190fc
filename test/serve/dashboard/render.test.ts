import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { dashboardCsp, renderDashboardHtml } from '../../../serve/dashboard/render.js';
import { auditEntry, clientDay, closedGate, cutoverInputs, lastReconcileRow } from './factories.js';

const config = cutoverInputs().config;
const report = buildCutoverReport(cutoverInputs({
  stages: [{ clientId: 'acme', stage: 'shadow', version: 'v1' }, { clientId: 'bravo', stage: 'live', version: 'v1' }, { clientId: 'carol', stage: 'complete', version: 'v1' }],
  config: { ...config, clients: ['acme', 'bravo', 'carol'].map((id) => ({ id, currency: 'USD', accounts: [] })), flags: { ...config.flags, phases: [{ name: 'pilot', clients: ['bravo', 'carol'], target: 'live' }] } },
  gates: new Map([['acme', { to: 'live', decision: closedGate(), streak: { needed: 7, counted: { lastFinal: '2026-11-15', days: [], notes: [], broken: '2026-11-15: spend failed (run rc-1)', pendingDays: ['2026-11-21', '2026-11-22'] } } }], ['bravo', { to: 'complete', decision: { pass: true, pendingDays: [], checks: [] } }]]),
  days: [clientDay({ date: '2026-11-19' }), clientDay({ date: '2026-11-21', status: 'fail', mismatched_rows: 12 }), clientDay({ date: '2026-11-22' })],
  lastReconciles: [lastReconcileRow({ metric: 'revenue', metric_status: 'fail', status: 'fail', rel_delta: 0.0532 })],
  audit: [auditEntry({ client_id: 'bravo', to_stage: 'live', from_stage: 'shadow', reason: 'pilot <script>alert(1)</script> & "go"' })],
}));

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
/** The text after the first `open` up to the next `close`. */
function between(html: string, open: string, close: string): string {
  const start = html.indexOf(open);
  expect(start, open).toBeGreaterThanOrEqual(0);
  return html.slice(start + open.length, html.indexOf(close, start));
}

describe('the dashboard page', () => {
  const page = renderDashboardHtml(report, { support: false });

  it('is one self-contained file: no external URL, nothing loaded from anywhere', () => {
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<(link|img|iframe)\b|\bsrc=|url\(/);
    expect(page).toContain(`content="${dashboardCsp({ support: false }).replaceAll("'", '&#39;')}"`);
  });

  it('shows how many clients are in each stage, as tiles and as an SVG bar', () => {
    for (const [stage, n] of [['legacy', 0], ['shadow', 1], ['live', 1], ['complete', 1]]) {
      expect(page).toContain(`data-stage-count="${stage}"><span class="n">${n}</span>`);
    }
    expect(page).toMatch(/<svg[^>]*aria-label="0 legacy, 1 shadow, 1 live, 1 complete"/);
    expect(page).toContain('<b>2 of 3 clients</b> are served by the new pipeline');
  });

  it("shows each client's stage, gate and last comparison", () => {
    const row = between(page, '<tr data-client="acme">', '</tr>');
    expect(row).toContain('<span class="badge shadow">shadow</span>');
    expect(row).toMatch(/Closed<\/span> to live<ul class="why"><li>clean-streak: 0 of 7 consecutive final days clean/);
    expect(row).toContain('revenue ✗ +5.32%');
    expect(between(page, '<tr data-client="carol">', '</tr>')).toContain('final stage');
  });

  it("shows the gate's clean streak: final days of those needed, and the days still pending", () => {
    const streak = between(between(page, '<tr data-client="acme">', '</tr>'), '<td data-field="clean-streak">', '</td>');
    expect(streak).toContain('>0 of 7 final days</span>');
    expect(streak).toContain('title="not final yet: 2026-11-21, 2026-11-22">2 pending</span>');
    expect(between(between(page, '<tr data-client="carol">', '</tr>'), '<td data-field="clean-streak">', '</td>')).toContain('—');
  });

  it('draws the trend as lines that break where a day was not compared, with the numbers in a table', () => {
    const trend = between(page, '<section id="trend">', '</section>');
    // 11-21 and 11-22 are joined; 11-19 stands alone: one polyline per series.
    expect(trend.match(/<polyline/g)).toHaveLength(3);
    expect(trend).toContain('<title>2026-11-21 mismatched rows: 12</title>');
    expect(trend).toContain('<tr><td>2026-11-21</td><td>0 of 1</td><td>12</td></tr>');
  });

  it('shows the planned phases and the flag changes, escaping what people typed', () => {
    expect(page).toContain('data-phase="pilot"');
    expect(page).toContain('2 of 2 live or beyond');
    expect(page).toContain('pilot &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;go&quot;');
    expect(page).not.toContain('<script>');
  });

  it('has no support controls when static', () => {
    expect(page).not.toMatch(/<form|<button|data-support/);
  });

  it('says so when nothing has happened yet', () => {
    const empty = renderDashboardHtml(buildCutoverReport(cutoverInputs()), { support: false });
    expect(empty).toContain('No shadow reconciles between 2026-10-25 and 2026-11-23 yet.');
    expect(empty).toContain('No flag changes recorded yet.');
    expect(empty).toContain('No phases are planned yet');
  });
});

describe('the support view', () => {
  const page = renderDashboardHtml(report, { support: { actor: 'ops <alice>' } });

  it('names the signed-in admin and offers a reason-required form per client that can move, with no key entry', () => {
    expect(page).toContain('Signed in as <b id="signed-in-as">ops &lt;alice&gt;</b>');
    expect(page).not.toMatch(/type="password"|sessionStorage\.setItem\('bosco\.adminKey'/);
    const acme = between(page, '<tr data-client="acme">', '</tr>');
    expect(acme).toMatch(/<td data-support><form class="act" data-client="acme"[^>]*><input name="reason" required/);
    expect(acme).toContain('>Promote to live</button>');
    expect(acme).toContain('>Roll back to legacy</button>');
    expect(between(page, '<tr data-client="carol">', '</tr>')).toContain('no action');
  });

  it('runs only its own script and style, allowed by hash', () => {
    const csp = dashboardCsp({ support: { actor: 'ops' } });
    expect(csp).toContain(`style-src ${sha256(between(page, '<style>', '</style>'))}`);
    expect(csp).toContain(`script-src ${sha256(between(page, '<script>', '</script>'))}`);
    expect(csp).toContain("form-action 'none'");
    // The browser's own credentials go with the calls: the script never handles the key.
    expect(between(page, '<script>', '</script>')).toContain("credentials: 'same-origin'");
    expect(between(page, '<script>', '</script>')).not.toContain('authorization');
  });
});
