import { join } from 'node:path';
import { loadConfig, type SourceEntry } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import { redactUri } from '../../core/redact.js';
import { openWarehouseWaiting } from '../../core/warehouse/access.js';
import { resolveSource } from '../../legacy-adapter/canonical-source.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { buildToleranceTable } from '../../reconcile/tolerance.js';
import { defaultSources } from '../defaults.js';

export type OutputFormat = 'table' | 'markdown' | 'json';

export interface ReconcileOptions {
  date: string;
  legacy?: string;
  new?: string;
  legacyMapping?: string;
  newMapping?: string;
  client?: string;
  metric?: string[];
  format?: OutputFormat;
  rows?: boolean;
  limit?: number;
  config?: string;
  /** Where the report goes; default stdout. */
  write?: (text: string) => void;
  isTTY?: boolean;
}

function entry(uri: string | undefined, mapping: string | undefined, fallback: SourceEntry | undefined, role: string): SourceEntry {
  if (uri) return mapping ? { uri, mapping } : uri;
  if (mapping) throw new BoscoError('USAGE', `--${role}-mapping needs --${role}`, { hint: `name the ${role} source with --${role} <uri>` });
  if (!fallback) throw new BoscoError('USAGE', `no ${role} source`, { hint: `pass --${role} <uri> or set sources.${role} in bosco.config.json` });
  return fallback;
}

/** `bosco reconcile`: exit 0 when everything matches, 1 when anything differs beyond tolerance. */
export async function reconcileCommand(options: ReconcileOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const format: OutputFormat = options.format ?? (isTTY ? 'table' : 'json');
  const loaded = await loadConfig({ explicitPath: options.config });
  const { config } = loaded;
  const date = resolveReportDate(options.date, config.reportingTimeZone);
  const sources = { ...defaultSources(), ...config.sources };
  const legacy = resolveSource(entry(options.legacy, options.legacyMapping, sources.legacy, 'legacy'), config.mappings, options.legacy ? '--legacy-mapping' : 'sources.legacy');
  const next = resolveSource(entry(options.new, options.newMapping, sources.new, 'new'), config.mappings, options.new ? '--new-mapping' : 'sources.new');
  const limit = options.limit ?? config.reconcile.limit;
  // People get the worst differences and explanations; machines get rows only when they ask.
  const wantDifferences = options.rows || format !== 'json';

  const warehouse = await openWarehouseWaiting(loaded);
  try {
    const report = await reconcile(warehouse, {
      date,
      legacy,
      next,
      clientId: options.client,
      metrics: options.metric,
      tolerances: buildToleranceTable(['spend', 'impressions', 'clicks', 'conversions', 'revenue'], config.reconcile.tolerances, config.reconcile.clients),
      differencesLimit: wantDifferences ? limit : undefined,
      scratchDir: join(loaded.workspaceDir, 'tmp'),
    });
    const labels = { legacyLabel: redactUri(legacy.uri), newLabel: redactUri(next.uri) };
    // A pass that compared nothing proves nothing: say so where a scheduler's log will show it.
    if (report.clients.length === 0) {
      getLogger().warn({ run_id: report.run_id, date }, `no rows for ${date} on either side${options.client ? ` for client '${options.client}'` : ''}: nothing was compared (did both pipelines run for this day?)`);
    }
    if (format === 'json') {
      const { differences, ...rest } = report;
      write(JSON.stringify(options.rows ? { ...rest, differences: differences ?? [] } : rest, null, 2) + '\n');
    } else {
      // Only people's formats load the explainers and renderers (and their table and diff libraries).
      const [{ explainClients }, { renderMarkdown }, { renderTable }] = await Promise.all([
        import('../../reconcile/explain/index.js'),
        import('../../reconcile/render/markdown.js'),
        import('../../reconcile/render/table.js'),
      ]);
      const explanations = explainClients(report.clients, report.differences ?? []);
      write(format === 'markdown'
        ? renderMarkdown(options.rows ? report : { ...report, differences: undefined }, { ...labels, explanations })
        : renderTable(report, { ...labels, rows: Boolean(options.rows), color: isTTY, explanations }));
    }
    return report.status === 'pass' ? 0 : 1;
  } finally {
    await warehouse.close();
  }
}
