import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { configDir, loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError, messageOf } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { openWarehouseWaiting } from '../../core/warehouse/access.js';
import { fxRateLookup, LegacyQuirksSchema, runLegacyDay, type LegacyDaySummary, type LegacyQuirks } from '../../legacy-adapter/emulator/index.js';
import { connectorFor } from '../../new-pipeline/connectors/index.js';
import { resolveCredential } from '../../new-pipeline/fetch/credentials.js';
import { fxRatesFor } from '../../new-pipeline/load/fx-rates.js';
import { conversionsFor } from '../../new-pipeline/transform/conversions.js';

export interface LegacyRunOptions {
  /** The day: YYYY-MM-DD, `yesterday` or `today` (in the reporting time zone). */
  date: string;
  /** Sends every platform's calls here (e.g. a `bosco sim serve` URL); default each platform's configured or real API. */
  baseUrl?: string;
  /** `postgres://…[?table=<schema.table>]` or `duckdb:<path>[?table=…]`; default the workspace warehouse. */
  target?: string;
  /** Only these clients; the others' rows are left as they are. Default every configured client. */
  client?: string[];
  /** The legacy behaviours to reproduce, as JSON or a JSON file (see `LegacyQuirks`); default none. */
  quirks?: string;
  format?: 'table' | 'json';
  config?: string;
  write?: (text: string) => void;
}

/** Reads `--quirks` as inline JSON or a JSON file. */
export function parseQuirks(value: string | undefined): LegacyQuirks {
  if (!value) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value.trim().startsWith('{') ? value : readFileSync(value, 'utf8'));
  } catch (error) {
    throw new BoscoError('USAGE', `--quirks is neither JSON nor a readable JSON file: ${messageOf(error)}`, { hint: `e.g. --quirks '{"utcDays":{"clients":["kestrel-home"]}}'` });
  }
  const parsed = LegacyQuirksSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BoscoError('USAGE', `--quirks: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, {
      hint: 'quirks are utcDays, unconvertedCurrency, pixelPurchasesOnly, retryDoubleInsert, each "all" or { "clients": [...], "accounts": [...] }',
    });
  }
  return parsed.data;
}

export function renderLegacySummary(summary: LegacyDaySummary): string {
  const table = new Table({ head: ['client', 'status', 'rows', 'inserted twice', 'calls'], style: { head: [], border: [] } });
  for (const c of summary.clients) table.push([c.clientId, c.status, c.rows, c.duplicatedRows, c.requests]);
  const failures = summary.clients.filter((c) => c.status === 'failed');
  return [
    `Legacy run ${summary.date} → ${summary.target} · ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    table.toString(),
    ...failures.map((c) => `FAILED ${c.clientId}: ${c.error}${c.hint ? `\n  hint: ${c.hint}` : ''}`),
    failures.length === 0 ? `OK: ${summary.clients.length} client(s) written` : `FAIL: ${failures.length} of ${summary.clients.length} client(s) failed; their rows of the day were left as they were`,
  ].join('\n') + '\n';
}

/** `bosco legacy run`: the legacy system emulator writes one day of its export; exit 1 if any client failed. */
export async function legacyRunCommand(options: LegacyRunOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const loaded = await loadConfig({ explicitPath: options.config });
  const { config } = loaded;
  const date = resolveReportDate(options.date, config.reportingTimeZone);
  const quirks = parseQuirks(options.quirks);
  if (config.clients.length === 0) {
    throw new BoscoError('USAGE', 'no clients are configured', { hint: 'add "clients": [{ "id": "...", "accounts": [{ "platform": "meta_ads", "accountId": "..." }] }] to bosco.config.json' });
  }
  const unknownClient = options.client?.find((id) => !config.clients.some((c) => c.id === id));
  if (unknownClient) throw new BoscoError('UNKNOWN_CLIENT', `client '${unknownClient}' is not in the config`, { hint: `configured clients: ${config.clients.map((c) => c.id).slice(0, 10).join(', ')}` });
  const clients = config.clients.filter((c) => !options.client?.length || options.client.includes(c.id));

  // Endpoints and credentials as the new pipeline reads them: both systems call the same accounts.
  const baseDir = configDir(loaded);
  const baseUrl: Partial<Record<Platform, string>> = {};
  const credential: Partial<Record<Platform, string>> = {};
  for (const platform of new Set(clients.flatMap((c) => c.accounts.map((a) => a.platform)))) {
    const settings = config.platforms[platform];
    baseUrl[platform] = options.baseUrl ?? settings?.baseUrl ?? connectorFor(platform).defaultBaseUrl;
    credential[platform] = resolveCredential(platform, settings, baseDir);
  }

  const warehouse = await openWarehouseWaiting(loaded);
  let summary: LegacyDaySummary;
  try {
    const fxRates = fxRateLookup(await fxRatesFor(warehouse, [date]));
    summary = await runLegacyDay({ clients, date, baseUrl, credential, target: options.target ?? warehouse, conversionsFor, quirks, fxRates, defaultTimeZone: config.reportingTimeZone });
  } finally {
    await warehouse.close();
  }
  write(options.format === 'json' ? JSON.stringify(summary, null, 2) + '\n' : renderLegacySummary(summary));
  return summary.clients.some((c) => c.status === 'failed') ? 1 : 0;
}
