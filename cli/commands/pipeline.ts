import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError, messageOf } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { connectorFor, DEFAULT_BASE_URLS } from '../../new-pipeline/connectors/index.js';
import type { Connector } from '../../new-pipeline/connectors/types.js';
import { resolveCredential } from '../../new-pipeline/fetch/credentials.js';
import { runFetch, type FetchSummary } from '../../new-pipeline/fetch/run-fetch.js';
import { newRunId } from '../../reconcile/reconcile.js';

export interface PipelineFetchOptions {
  date: string;
  client?: string[];
  platform?: string[];
  /** Sends every platform's calls here (e.g. a `bosco sim serve` URL). */
  baseUrl?: string;
  format?: 'table' | 'json';
  config?: string;
  write?: (text: string) => void;
  isTTY?: boolean;
}

function checkPlatforms(names: readonly string[] | undefined): Platform[] | undefined {
  if (!names?.length) return undefined;
  const unknown = names.find((name) => !(PLATFORMS as readonly string[]).includes(name));
  if (unknown) throw new BoscoError('USAGE', `unknown platform '${unknown}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  return names as Platform[];
}

export function renderFetchSummary(summary: FetchSummary): string {
  const table = new Table({ head: ['platform', 'calls', 'retries', 'throttles', 'landed', 'failed', 'records'], style: { head: [], border: [] } });
  for (const [platform, s] of Object.entries(summary.platforms)) {
    table.push([platform, s.calls, s.retries, s.throttles, s.landed, s.failed, s.records]);
  }
  const failures = summary.partitions.filter((p) => p.status === 'failed');
  const drift = summary.partitions.filter((p) => p.unknownFields.length > 0);
  return [
    `Fetch ${summary.date} · run ${summary.runId} · ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    table.toString(),
    ...drift.map((p) => `drift ${p.platform} ${p.clientId}: unknown fields ${p.unknownFields.join(', ')}`),
    ...failures.map((p) => `FAILED ${p.platform} ${p.clientId}: ${p.error}`),
    failures.length === 0 ? `OK: ${summary.partitions.length} partitions landed` : `FAIL: ${failures.length} of ${summary.partitions.length} partitions failed and were not landed`,
  ].join('\n') + '\n';
}

/** `bosco pipeline fetch`: lands one day of raw payloads for every connected account; exit 1 if any partition failed. */
export async function pipelineFetchCommand(options: PipelineFetchOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const loaded = await loadConfig({ explicitPath: options.config });
  const { config } = loaded;
  const date = resolveReportDate(options.date, config.reportingTimeZone);
  const platforms = checkPlatforms(options.platform);
  if (config.clients.length === 0) {
    throw new BoscoError('USAGE', 'no clients are configured', { hint: 'add "clients": [{ "id": "...", "accounts": [{ "platform": "meta_ads", "accountId": "..." }] }] to bosco.config.json' });
  }
  const unknownClient = options.client?.find((id) => !config.clients.some((c) => c.id === id));
  if (unknownClient) throw new BoscoError('UNKNOWN_CLIENT', `client '${unknownClient}' is not in the config`, { hint: `configured clients: ${config.clients.map((c) => c.id).slice(0, 10).join(', ')}` });
  const clients = config.clients
    .filter((c) => !options.client?.length || options.client.includes(c.id))
    .map((c) => ({ ...c, accounts: c.accounts.filter((a) => !platforms || platforms.includes(a.platform)) }));

  const used = new Set(clients.flatMap((c) => c.accounts.map((a) => a.platform)));
  const connectors = new Map<Platform, Connector>();
  const endpoints = new Map<Platform, { baseUrl: string; credential: string; settings?: (typeof config.platforms)[Platform] }>();
  const baseDir = loaded.file ? dirname(loaded.file) : process.cwd();
  for (const platform of used) {
    const settings = config.platforms[platform];
    connectors.set(platform, connectorFor(platform));
    endpoints.set(platform, {
      baseUrl: options.baseUrl ?? settings?.baseUrl ?? DEFAULT_BASE_URLS[platform],
      credential: resolveCredential(platform, settings, baseDir),
      settings,
    });
  }

  const total = clients.reduce((sum, c) => sum + new Set(c.accounts.map((a) => a.platform)).size, 0);
  const bar = isTTY ? new cliProgress.SingleBar({ format: 'fetch {bar} {value}/{total} partitions · {failed} failed', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  let failed = 0;
  bar?.start(total, 0, { failed });
  let summary: FetchSummary;
  try {
    summary = await runFetch({
      runId: newRunId().replace(/^rc-/, 'fx-'),
      date,
      clients,
      connectors,
      endpoints,
      workspaceDir: loaded.workspaceDir,
      sockets: config.fetch.sockets,
      partitionConcurrency: config.fetch.partitions,
      onPartition: (outcome) => {
        if (outcome.status === 'failed') failed += 1;
        bar?.increment(1, { failed });
      },
    });
  } finally {
    bar?.stop();
  }
  write(options.format === 'json' ? JSON.stringify(summary, null, 2) + '\n' : renderFetchSummary(summary));
  return summary.partitions.some((p) => p.status === 'failed') ? 1 : 0;
}

export interface PipelineParseOptions {
  platform: string;
  file: string;
  account?: string;
  date?: string;
  /** Which of the connector's requests the body answers; default its report request. */
  purpose?: string;
  write?: (text: string) => void;
}

/** `bosco pipeline parse`: replays a saved response body through a connector and prints its records as JSON lines. */
export async function pipelineParseCommand(options: PipelineParseOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const [platform] = checkPlatforms([options.platform])!;
  const connector = connectorFor(platform!);
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    throw new BoscoError('SOURCE_NOT_FOUND', `cannot read ${options.file}: ${messageOf(error)}`, { hint: 'pass the path of a saved response body' });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new BoscoError('PAYLOAD_INVALID', `${options.file} is not JSON: ${messageOf(error)}`, { hint: 'save the response body exactly as the API returned it' });
  }
  const context = { account: { clientId: 'replay', platform: platform!, accountId: options.account ?? 'replay' }, date: options.date ?? '1970-01-01' };
  const request = { ...connector.firstRequest(context), purpose: options.purpose ?? 'report' };
  const page = connector.parse(body, context, request);
  for (const record of page.records) write(JSON.stringify(record) + '\n');
  return 0;
}
