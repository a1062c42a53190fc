import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError, messageOf } from '../../core/errors.js';
import { connectorFor } from '../../new-pipeline/connectors/index.js';
import { checkPlatforms, planFetch } from '../../new-pipeline/fetch/fetch-plan.js';
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

export function renderFetchSummary(summary: FetchSummary): string {
  const table = new Table({ head: ['platform', 'calls', 'retries', 'throttles', 'timeouts', 'landed', 'failed', 'records'], style: { head: [], border: [] } });
  for (const [platform, s] of Object.entries(summary.platforms)) {
    table.push([platform, s.calls, s.retries, s.throttles, s.timeouts, s.landed, s.failed, s.records]);
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
  const request = planFetch(loaded, date, newRunId().replace(/^rc-/, 'fx-'), { clients: options.client, platforms: options.platform, baseUrl: options.baseUrl });
  const { clients } = request;

  const total = clients.reduce((sum, c) => sum + new Set(c.accounts.map((a) => a.platform)).size, 0);
  const bar = isTTY ? new cliProgress.SingleBar({ format: 'fetch {bar} {value}/{total} partitions · {failed} failed', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  let failed = 0;
  bar?.start(total, 0, { failed });
  let summary: FetchSummary;
  try {
    summary = await runFetch({
      ...request,
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
  /** The account the body belongs to; only TikTok's advertiser info reads it (to pick the advertiser's facts). */
  account?: string;
  /** The day the body reports; default the day the body itself shows, for the connectors that check it. */
  date?: string;
  /** Which of the connector's requests the body answers; default the one whose answers carry the records. */
  purpose?: string;
  write?: (text: string) => void;
  /** Where the one-line summary goes; default stderr, so stdout stays JSON lines. */
  writeSummary?: (text: string) => void;
}

/** A placeholder account id that every connector accepts, for replays that do not name one. */
const REPLAY_ACCOUNT = '0';
/** Any day does for a body whose connector never checks the day. */
const REPLAY_DAY = '1970-01-01';

/** `bosco pipeline parse`: replays a saved response body through a connector and prints its records as JSON lines. */
export async function pipelineParseCommand(options: PipelineParseOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const writeSummary = options.writeSummary ?? ((text: string) => process.stderr.write(text));
  const platform = checkPlatforms([options.platform])![0]!;
  const connector = connectorFor(platform);
  const purpose = options.purpose ?? connector.purposes.at(-1)!;
  if (!connector.purposes.includes(purpose)) {
    throw new BoscoError('USAGE', `--purpose '${purpose}' is not a request ${platform} makes`, {
      hint: `${platform}'s requests are ${connector.purposes.join(', ')} (default ${connector.purposes.at(-1)})`,
    });
  }
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
  const date = options.date ? resolveReportDate(options.date, 'UTC') : (connector.replayDay?.(body, purpose) ?? REPLAY_DAY);
  const context = { account: { clientId: 'replay', platform, accountId: options.account ?? REPLAY_ACCOUNT }, date };
  const page = connector.parse(body, context, { ...connector.firstRequest(context), purpose });
  for (const record of page.records) write(JSON.stringify(record) + '\n');
  const facts = Object.entries(page.account ?? {}).map(([key, value]) => `${key} ${value}`);
  writeSummary(
    [
      `${platform} ${purpose} answer: ${page.records.length} record${page.records.length === 1 ? '' : 's'}`,
      facts.length > 0 && `account ${facts.join(', ')}`,
      page.next && `next request: ${page.next.purpose ?? page.next.path}`,
      page.unknownFields.length > 0 && `unknown fields (drift): ${page.unknownFields.join(', ')}`,
    ]
      .filter(Boolean)
      .join(' · ') + '\n',
  );
  return 0;
}
