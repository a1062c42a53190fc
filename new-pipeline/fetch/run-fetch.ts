import pLimit, { type LimitFunction } from 'p-limit';
import type { ClientConfig, PlatformSettings } from '../../core/config.js';
import { BoscoError, messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import type { Platform } from '../../core/metric-row.js';
import { inSpan, meter } from '../../core/telemetry.js';
import type { ConnectedAccount, Connector, FetchContext } from '../connectors/types.js';
import { PlatformClient, platformLimits, RetryBudget, type CallStats } from '../http/platform-client.js';
import { HttpTransport } from '../http/transport.js';
import { landPartition, type LandedPage, type PartitionKey } from '../landing/raw-landing.js';

export interface PartitionOutcome extends PartitionKey {
  status: 'landed' | 'failed';
  accounts: number;
  records: number;
  pages: number;
  path?: string;
  sha256?: string;
  /** Why it failed, in one line. */
  error?: string;
  unknownFields: string[];
}

export interface PlatformSummary extends CallStats {
  landed: number;
  failed: number;
  records: number;
}

export interface FetchSummary {
  runId: string;
  date: string;
  partitions: PartitionOutcome[];
  platforms: Partial<Record<Platform, PlatformSummary>>;
  elapsedMs: number;
}

export interface FetchRequest {
  runId: string;
  date: string;
  clients: readonly ClientConfig[];
  connectors: ReadonlyMap<Platform, Connector>;
  /** Per platform: where to call and with which credential. */
  endpoints: ReadonlyMap<Platform, { baseUrl: string; credential: string; settings?: PlatformSettings }>;
  workspaceDir: string;
  /** The namespace of the tables the partitions will load into, which picks their raw tree (see `rawRoot`); default the serving tables'. */
  namespace?: string;
  /** Requests on the wire at once across every platform (config `fetch.sockets`), and so connections open. */
  sockets: number;
  /**
   * Partitions fetched at once per platform (config `fetch.partitions`). Each platform has its own queue, so a
   * slow or throttled platform never holds the turns of the others.
   */
  partitionConcurrency: number;
  onPartition?: (outcome: PartitionOutcome) => void;
}

const callCounter = meter.createCounter('bosco.fetch.calls', { description: 'API calls made' });
const partitionCounter = meter.createCounter('bosco.fetch.partitions', { description: 'partitions fetched, by status' });
const retryCounter = meter.createCounter('bosco.fetch.retries', { description: 'API calls retried after a transient failure' });

/** Fetches every page of one account's day, following the connector's requests to the end. */
async function fetchAccount(connector: Connector, client: PlatformClient, context: FetchContext) {
  const pages: LandedPage[] = [];
  const unknownFields = new Set<string>();
  let facts: { currency?: string; timeZone?: string } = {};
  let records = 0;
  let request: ReturnType<Connector['firstRequest']> | undefined = connector.firstRequest(context);
  while (request) {
    // Later pages first: a long chain of pages must not trail the day (see PacedQueue).
    const response = await client.send(request, context.account.accountId, pages.length);
    // Parse before landing: a page that does not match the API's schema fails the partition, never lands half.
    const page = connector.parse(response.body, context, request);
    records += page.records.length;
    page.unknownFields.forEach((field) => unknownFields.add(field));
    facts = { ...facts, ...page.account };
    pages.push({
      account_id: context.account.accountId,
      request,
      status: response.status,
      fetched_at: new Date().toISOString(),
      body: connector.redact ? connector.redact(response.body) : response.body,
    });
    request = page.next;
  }
  return { pages, records, facts, unknownFields };
}

/**
 * Fetches one day for every connected account and lands one raw file per client, platform and day. Partitions
 * are independent: one that fails (after the client's retries) is reported and never landed partially, and
 * the others go on.
 */
export async function runFetch(request: FetchRequest): Promise<FetchSummary> {
  const started = Date.now();
  const log = getLogger().child({ run_id: request.runId, date: request.date });
  const transport = new HttpTransport(request.sockets);
  const retryBudget = new RetryBudget();
  const clients = new Map<Platform, PlatformClient>();
  const queues = new Map<Platform, LimitFunction>();
  for (const [platform, endpoint] of request.endpoints) {
    const limits = platformLimits(platform, endpoint.settings?.limits);
    clients.set(platform, new PlatformClient({ connector: request.connectors.get(platform)!, baseUrl: endpoint.baseUrl, credential: endpoint.credential, limits, transport, retryBudget }, pLimit(limits.concurrency)));
    queues.set(platform, pLimit(request.partitionConcurrency));
  }

  const work: Array<{ key: PartitionKey; accounts: ConnectedAccount[] }> = [];
  for (const client of request.clients) {
    const byPlatform = new Map<Platform, ConnectedAccount[]>();
    for (const account of client.accounts) {
      if (!clients.has(account.platform)) continue;
      byPlatform.set(account.platform, [...(byPlatform.get(account.platform) ?? []), { clientId: client.id, platform: account.platform, accountId: account.accountId }]);
    }
    for (const [platform, accounts] of byPlatform) work.push({ key: { date: request.date, platform, clientId: client.id }, accounts });
  }

  const outcomes = await Promise.all(
    work.map(({ key, accounts }) =>
      queues.get(key.platform)!(() =>
        inSpan('bosco.fetch.partition', { 'bosco.run_id': request.runId, 'bosco.client_id': key.clientId, 'bosco.platform': key.platform }, async (): Promise<PartitionOutcome> => {
          const connector = request.connectors.get(key.platform)!;
          const client = clients.get(key.platform)!;
          let outcome: PartitionOutcome;
          try {
            const fetched: Array<Awaited<ReturnType<typeof fetchAccount>>> = [];
            for (const account of accounts) fetched.push(await fetchAccount(connector, client, { account, date: key.date }));
            const unknownFields = [...new Set(fetched.flatMap((f) => [...f.unknownFields]))];
            const landed = await landPartition(request.workspaceDir, key, {
              run_id: request.runId,
              api: connector.api,
              connector_version: connector.connectorVersion,
              accounts: Object.fromEntries(accounts.map((account, i) => [account.accountId, fetched[i]!.facts])),
              unknown_fields: unknownFields,
            }, fetched.flatMap((f) => f.pages), request.namespace);
            outcome = { ...key, status: 'landed', accounts: accounts.length, records: fetched.reduce((sum, f) => sum + f.records, 0), pages: landed.pages, path: landed.path, sha256: landed.sha256, unknownFields };
            if (unknownFields.length > 0) log.warn({ platform: key.platform, client_id: key.clientId, unknown_fields: unknownFields }, 'schema drift: the API sent fields the connector does not know');
          } catch (error) {
            const reason = error instanceof BoscoError ? error.message : `unexpected: ${messageOf(error)}`;
            outcome = { ...key, status: 'failed', accounts: accounts.length, records: 0, pages: 0, error: reason, unknownFields: [] };
            log.error({ platform: key.platform, client_id: key.clientId, error: reason }, 'partition failed');
          }
          partitionCounter.add(1, { status: outcome.status, platform: key.platform });
          request.onPartition?.(outcome);
          return outcome;
        }),
      ),
    ),
  ).finally(() => transport.close());

  const platforms: FetchSummary['platforms'] = {};
  for (const [platform, client] of clients) {
    const mine = outcomes.filter((o) => o.platform === platform);
    if (mine.length === 0) continue;
    callCounter.add(client.stats.calls, { platform });
    retryCounter.add(client.stats.retries, { platform });
    platforms[platform] = {
      ...client.stats,
      landed: mine.filter((o) => o.status === 'landed').length,
      failed: mine.filter((o) => o.status === 'failed').length,
      records: mine.reduce((sum, o) => sum + o.records, 0),
    };
  }
  return { runId: request.runId, date: request.date, partitions: outcomes, platforms, elapsedMs: Date.now() - started };
}
