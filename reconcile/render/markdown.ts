import type { ReconcileReport } from '../types.js';
import { differenceKey, differenceValues, failingMetrics, formatNumber, rowProblems } from './format.js';

const cell = (value: string) => value.replaceAll('|', '\\|');

/** For a ticket or a chat message: the same content as the table, as GitHub-flavoured Markdown. */
export function renderMarkdown(report: ReconcileReport, labels: { legacyLabel: string; newLabel: string; explanations?: ReadonlyMap<string, string[]> }): string {
  const failed = report.clients.filter((client) => client.status === 'fail');
  const lines = [
    `## Reconcile ${report.date}: ${report.status === 'pass' ? 'PASS' : `FAIL (${failed.length} of ${report.clients.length} clients)`}`,
    '',
    `Legacy \`${labels.legacyLabel}\` · new \`${labels.newLabel}\` · run \`${report.run_id}\``,
    '',
    '| client | status | legacy rows | new rows | matched | row problems | failing metrics |',
    '|---|---|---:|---:|---:|---|---|',
    ...report.clients.map((client) =>
      `| ${cell(client.client_id)} | ${client.status} | ${formatNumber(client.rows.legacy)} | ${formatNumber(client.rows.new)} | ${formatNumber(client.rows.matched)} | ${rowProblems(client).join(', ')} | ${failingMetrics(client).join(', ')} |`,
    ),
  ];
  const notes = failed.flatMap((client) => (labels.explanations?.get(client.client_id) ?? []).map((note) => `- **${cell(client.client_id)}**: ${note}`));
  if (notes.length > 0) lines.push('', '### Why they differ', '', ...notes);
  if (report.differences?.length) {
    lines.push('', '### Differences', '', '| row | kind | metric | legacy → new |', '|---|---|---|---|');
    for (const difference of report.differences) {
      lines.push(`| ${cell(differenceKey(difference))} | ${difference.kind} | ${difference.metric ?? ''} | ${differenceValues(difference)} |`);
    }
  }
  return lines.join('\n') + '\n';
}
