import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openBus } from '../../../core/bus/index.js';
import { parseConfig, type LoadedConfig, type ServeKey } from '../../../core/config.js';
import { sharedWarehouse, type WarehouseAccess } from '../../../core/warehouse/access.js';
import type { Warehouse } from '../../../core/warehouse/index.js';
import { LocalStageStore } from '../../../flags/local/local-stage-store.js';
import type { Stage, StageStore } from '../../../flags/types.js';
import { LEGACY_EXPORT_TABLE, LEGACY_PLATFORM_CODES } from '../../../legacy-adapter/legacy-schema.js';
import { statTimestamp, type LegacyExportRow } from '../../../legacy-adapter/emulator/stores/legacy-store.js';
import { warehouseLegacyStore } from '../../../legacy-adapter/emulator/stores/warehouse-legacy-store.js';
import { SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { apiKeyAuthenticator } from '../../../serve/auth/api-key-authenticator.js';
import { generateKey, hashKey } from '../../../serve/auth/keys.js';
import { buildServer } from '../../../serve/server.js';
import { cachingStageView, invalidatingStore } from '../../../serve/stage-view.js';
import { metricRow, type TestRow } from '../../helpers/factories.js';
import { createMetricTable, memoryWarehouse } from '../../helpers/warehouse.js';

const CODE_OF = Object.fromEntries(Object.entries(LEGACY_PLATFORM_CODES).map(([code, platform]) => [platform, code]));

/**
 * A row of the legacy export as the legacy system writes it, from canonical values: the platform as its legacy
 * code, money in micros, the day as midnight UTC. Override canonical fields (`spend: 12.5`, `platform: 'meta_ads'`).
 */
export function legacyRow(overrides: TestRow = {}): LegacyExportRow {
  const row = metricRow(overrides);
  const micros = (value: unknown) => (value === null ? null : Math.round(Number(value) * 1_000_000));
  return {
    client_ref: String(row.client_id),
    stat_ts: statTimestamp(String(row.date)),
    src: CODE_OF[String(row.platform)] ?? String(row.platform),
    account_ref: String(row.account_id),
    campaign_ref: String(row.campaign_id),
    ccy: String(row.currency),
    cost_micros: micros(row.spend),
    impr: row.impressions === null ? null : Number(row.impressions),
    clk: row.clicks === null ? null : Number(row.clicks),
    conv: Number(row.conversions),
    rev_micros: micros(row.revenue)!,
  };
}

/** Writes legacy rows through the legacy loader's own store (its table, its types), one client-day at a time. */
export async function writeLegacyRows(warehouse: Warehouse, rows: readonly LegacyExportRow[]): Promise<void> {
  const store = warehouseLegacyStore(warehouse, LEGACY_EXPORT_TABLE, { sourceUri: `warehouse:${LEGACY_EXPORT_TABLE}`, ownsWarehouse: false });
  await store.prepare();
  const days = new Map<string, LegacyExportRow[]>();
  for (const row of rows) {
    const key = `${row.client_ref}|${row.stat_ts.slice(0, 10)}`;
    days.set(key, [...(days.get(key) ?? []), row]);
  }
  for (const [key, dayRows] of days) {
    const [client, date] = key.split('|') as [string, string];
    await store.replaceClientDay(client, date, [dayRows]);
  }
}

/** Writes the new side's served rows (canonical rows into the serving table). */
export async function writeNewRows(warehouse: Warehouse, rows: readonly TestRow[]): Promise<void> {
  await createMetricTable(warehouse, SERVING_TABLES.metricRows, rows);
}

export interface TestKeys {
  /** Client `acme`'s key. */
  acme: string;
  /** Client `bravo`'s key. */
  bravo: string;
  admin: string;
}

export interface ApiFixture {
  url: string;
  app: FastifyInstance;
  warehouse: Warehouse;
  /** The stage store as the server's view reads it (what a test wraps is what the server sees). */
  store: StageStore;
  keys: TestKeys;
  dir: string;
  setStage(clientId: string, stage: Stage): Promise<void>;
  get(path: string, options?: { key?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  close(): Promise<void>;
}

export interface ApiFixtureOptions {
  /** Wraps the real stage store, e.g. to make it fail. */
  wrapStore?: (store: StageStore) => StageStore;
  /** Wraps the real warehouse access, e.g. to make it unreachable. */
  wrapWarehouse?: (access: WarehouseAccess) => WarehouseAccess;
  /** The stage view's cache; default 0, so a stage written is served by the next request. */
  stageCacheMs?: number;
  /** Fills the warehouse before the server starts. */
  seed?: (warehouse: Warehouse) => Promise<void>;
}

/** The clients the fixture's config lists; any other id is unknown to the server. */
export const FIXTURE_CLIENTS = ['acme', 'bravo', 'carol'] as const;

/** A server on 127.0.0.1 and a random port over an in-memory DuckDB warehouse and a stage file in a temp folder. */
export async function startApi(options: ApiFixtureOptions = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bosco-serve-'));
  const warehouse = await memoryWarehouse();
  await options.seed?.(warehouse);
  const real = new LocalStageStore(join(dir, 'flags', 'stages.json'));
  const store = options.wrapStore ? options.wrapStore(real) : real;
  const keys: TestKeys = { acme: generateKey(), bravo: generateKey(), admin: generateKey() };
  const stored: ServeKey[] = [
    { id: 'acme-key', hash: hashKey(keys.acme), client: 'acme' },
    { id: 'bravo-key', hash: hashKey(keys.bravo), client: 'bravo' },
    { id: 'ops', hash: hashKey(keys.admin), admin: true, actor: 'ops@example.com' },
  ];
  const clients = FIXTURE_CLIENTS.map((id) => ({ id, accounts: [{ platform: 'google_ads', accountId: `${id}-ads` }] }));
  const loaded: LoadedConfig = { config: parseConfig({ clients }, 'test'), file: undefined, workspaceDir: dir, warehousePath: join(dir, 'warehouse.duckdb') };
  const stages = cachingStageView(store, { cacheMs: options.stageCacheMs ?? 0 });
  const access = sharedWarehouse(warehouse);
  const bus = openBus({ workspaceDir: dir });
  const app = await buildServer({
    loaded,
    warehouse: options.wrapWarehouse ? options.wrapWarehouse(access) : access,
    stages,
    stageStore: invalidatingStore(store, stages),
    bus,
    auth: apiKeyAuthenticator(() => stored),
    now: () => new Date(),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    warehouse,
    store,
    keys,
    dir,
    async setStage(clientId, stage) {
      const current = await real.get(clientId);
      await real.set({ clientId, stage, expectedVersion: current?.version });
    },
    async get(path, requestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.key) headers.authorization = `Bearer ${requestOptions.key}`;
      const response = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body, text };
    },
    async close() {
      await app.close();
      await bus.close();
      await warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
