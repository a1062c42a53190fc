import Table from 'cli-table3';
import pc from 'picocolors';
import type { ReconcileReport } from '../types.js';
import { differenceKey, differenceValues, failingMetrics, formatNumber, rowProblems } from './format.js';
import { renderDrillDown } from './drill-down.js';

export interface RenderOptions {
  legacyLabel: string;
  newLabel: string;
  /** Show every fetched difference, grouped by row, instead of the worst few. */
  rows: boolean;
  color: boolean;
  explanations?: ReadonlyMap<string, string[]>;
}

const WORST = 10;

/** For a person at a terminal: a per-client summary, then the worst differences. */
export function renderTable(report: ReconcileReport, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const lines: string[] = [];
  lines.push(c.bold(`Reconcile ${report.date}`) + c.dim(` · legacy ${options.legacyLabel} · new ${options.newLabel} · run ${report.run_id}`));
  const style = { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] };
  const table = new Table({ head: ['client', 'status', 'legacy rows', 'new rows', 'matched', 'row problems', 'failing metrics'], style });
  for (const client of report.clients) {
    table.push([
      client.client_id,
      client.status === 'pass' ? c.green('pass') : c.red('FAIL'),
      formatNumber(client.rows.legacy),
      formatNumber(client.rows.new),
      formatNumber(client.rows.matched),
      rowProblems(client).join('\n'),
      failingMetrics(client).join('\n'),
    ]);
  }
  lines.push(table.toString());

  const failed = report.clients.filter((client) => client.status === 'fail');
  for (const client of failed) {
    const notes = options.explanations?.get(client.client_id) ?? [];
    for (const note of notes) lines.push(`${c.yellow('why')} ${client.client_id}: ${note}`);
  }

  const differences = report.differences ?? [];
  if (differences.length > 0) {
    if (options.rows) {
      lines.push('', c.bold(`Row-level differences (${differences.length})`), renderDrillDown(differences, options.color));
    } else {
      const worst = new Table({ head: ['row', 'kind', 'metric', 'legacy → new'], style });
      for (const difference of differences.slice(0, WORST)) {
        worst.push([differenceKey(difference), difference.kind, difference.metric ?? '', differenceValues(difference)]);
      }
      lines.push('', c.bold(`Worst differences (${Math.min(WORST, differences.length)} shown; --rows lists them all)`), worst.toString());
    }
  }
  lines.push(
    report.status === 'pass'
      ? c.green(`PASS: all ${report.clients.length} clients match within tolerance on ${report.date}`)
      : c.red(`FAIL: ${failed.length} of ${report.clients.length} clients differ beyond tolerance on ${report.date}`),
  );
  return lines.join('\n') + '\n';
}
