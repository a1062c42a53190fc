import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError, isBoscoError, messageOf } from '../../core/errors.js';
import { warehousePerUse } from '../../core/warehouse/access.js';
import { openStageStore } from '../../flags/index.js';
import { STAGES } from '../../flags/types.js';
import { DEFAULT_REPORT_DAYS, gatherCutoverReport, type CutoverReport } from '../../serve/dashboard/cutover-report.js';
import { renderDashboardHtml } from '../../serve/dashboard/render.js';

export interface DashboardOptions {
  config?: string;
  /** The HTML file to write, relative to the working directory. */
  out: string;
  /** Days of trend and SLA history, ending today. Default 30. */
  days?: number;
  /** `json`: print the report (what `GET /v1/cutover` returns) on stdout; default a one-line summary. */
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

function summary(report: CutoverReport, out: string): string {
  const counts = STAGES.map((stage) => `${report.stage_counts[stage]} ${stage}`).join(', ');
  const open = report.clients.filter((c) => c.gate?.open && c.gate.to !== 'shadow').map((c) => `${c.client_id} → ${c.gate!.to}`);
  return `Wrote ${out}: ${report.clients.length} clients (${counts}); ${open.length > 0 ? `gate open for ${open.join(', ')}` : 'no gate to live or complete is open'}\n`;
}

/**
 * `bosco dashboard --out cutover.html`: the cutover dashboard as one static, self-contained HTML file (no support
 * controls), from the same report `GET /v1/cutover` serves.
 */
export async function dashboardCommand(options: DashboardOptions): Promise<number> {
  return writeDashboard(await loadConfig({ explicitPath: options.config }), options);
}

/** Writes the static dashboard of the workspace `loaded` names (the demo passes its own config). */
export async function writeDashboard(loaded: LoadedConfig, options: Omit<DashboardOptions, 'config'>): Promise<number> {
  const days = options.days ?? DEFAULT_REPORT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new BoscoError('USAGE', `--days ${days} is out of range`, { hint: 'give a whole number of days from 1 to 366' });
  const out = resolve(options.out);
  const store = await openStageStore(loaded);
  let records;
  try {
    records = await store.list();
  } finally {
    await store.close();
  }
  const now = new Date();
  const today = resolveReportDate('today', loaded.config.reportingTimeZone, now);
  // Waits while another process (a busy `bosco serve`) has the workspace's warehouse.
  const report = await warehousePerUse(loaded)
    .use((warehouse) => gatherCutoverReport(warehouse, records, loaded.config, today, now, { days }))
    .catch((error: unknown) => {
      if (isBoscoError(error) && error.code === 'WORKSPACE_LOCKED') {
        throw new BoscoError('WORKSPACE_LOCKED', error.message, { hint: 'if a busy `bosco serve` holds the workspace, save its page instead (GET /dashboard, signed in with an admin key), or run again', cause: error });
      }
      throw error;
    });
  try {
    mkdirSync(dirname(out), { recursive: true });
    // Written beside and renamed, so a reader never sees half a page.
    writeFileSync(`${out}.tmp`, renderDashboardHtml(report, { support: false }));
    renameSync(`${out}.tmp`, out);
  } catch (error) {
    throw new BoscoError('USAGE', `cannot write ${out}: ${messageOf(error)}`, { hint: 'pass an --out path in a folder you can write to' });
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(options.format === 'json' ? JSON.stringify(report) + '\n' : summary(report, options.out));
  return 0;
}
