import Table from 'cli-table3';
import { loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { openWarehouseWaiting } from '../../core/warehouse/access.js';
import { applyRetention, type RetentionReport } from '../../shadow/retention.js';

export interface RetentionOptions {
  config?: string;
  dryRun?: boolean;
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

function render(report: RetentionReport): string {
  const table = new Table({ head: ['what', 'kept from', 'days gone', 'files / rows gone'], style: { head: [], border: [] } });
  table.push(['raw payloads', report.cutoffs.raw, report.files.raw.days, `${report.files.raw.files} file(s)`]);
  table.push(['staged partitions', report.cutoffs.staged, report.files.staged.days, `${report.files.staged.files} file(s)`]);
  table.push(['shadow checkpoints', report.cutoffs.checkpoints, report.files.checkpoints.days, `${report.files.checkpoints.files} file(s)`]);
  const rows = Object.entries(report.rows);
  table.push(['legacy snapshots', report.cutoffs.snapshots, '', rows.length > 0 ? rows.map(([t, n]) => `${n} row(s) of ${t}`).join(', ') : '0 row(s)']);
  return `Retention on ${report.today}${report.dry_run ? ' (dry run: nothing deleted)' : ''}\n${table.toString()}\n`;
}

/**
 * `bosco retention apply [--dry-run]`: deletes the raw payloads, staged partitions, checkpoints and legacy snapshots
 * older than `retention` in the config keeps them. For a scheduler, daily.
 */
export async function retentionApplyCommand(options: RetentionOptions): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const today = resolveReportDate('today', loaded.config.reportingTimeZone);
  const warehouse = await openWarehouseWaiting(loaded);
  let report: RetentionReport;
  try {
    report = await applyRetention(warehouse, loaded.workspaceDir, loaded.config.retention, today, { dryRun: Boolean(options.dryRun) });
  } finally {
    await warehouse.close();
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(options.format === 'json' ? JSON.stringify(report) + '\n' : render(report));
  return 0;
}
