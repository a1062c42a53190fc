import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { parseConfig, type LoadedConfig } from '../../core/config.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { sharedWarehouse } from '../../core/warehouse/access.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { resolveSource } from '../../legacy-adapter/canonical-source.js';
import { fxRateLookup, runLegacyDay } from '../../legacy-adapter/emulator/index.js';
import { fxRatesFor, importFxRates } from '../../new-pipeline/load/fx-rates.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { CheckpointStore } from '../../shadow/checkpoints.js';
import { runShadowDay, shadowClients } from '../../shadow/shadow-run.js';
import { makeTempDir } from '../helpers/cli.js';
import { createScratchPostgres, type ScratchPostgres } from '../helpers/factories.js';
import { conversionsFor } from '../../new-pipeline/transform/conversions.js';

const DATE = '2026-11-20';

/**
 * The full dual run with the legacy system on the real local PostgreSQL: the legacy emulator writes its export
 * there (with a retry double-inserting one client's page), and the shadow run reads it over COPY.
 */
describe('a dual run with the legacy side in PostgreSQL', () => {
  const dir = makeTempDir();
  let sim: RunningSimulator;
  let postgres: ScratchPostgres;
  let warehouse: DuckDbWarehouse;
  const clients = [1, 2, 3].map((i) => ({
    id: `client-${i}`,
    currency: i === 2 ? 'EUR' : 'USD',
    accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `pgshop${i}` : `${i}20${PLATFORMS.indexOf(platform)}` })),
  }));

  beforeAll(async () => {
    sim = await startSimulator();
    postgres = await createScratchPostgres();
    warehouse = await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') });
    writeFileSync(join(dir.path, 'rates.csv'), simFxRatesCsv(DATE, DATE));
    await importFxRates(warehouse, join(dir.path, 'rates.csv'));
  }, 60_000);
  afterAll(async () => {
    await warehouse.close();
    await postgres.cleanup();
    await sim.close();
    dir.cleanup();
  });

  it('passes the clean clients and finds the double insert, reading legacy from PostgreSQL', async () => {
    const legacyUri = postgres.uri('legacy_export.daily_stats');
    const written = await runLegacyDay({
      clients, date: DATE, baseUrl: sim.url, credential: sim.token, target: legacyUri.replace(/\?.*$/, ''), conversionsFor,
      quirks: { retryDoubleInsert: { clients: ['client-3'] } }, fxRates: fxRateLookup(await fxRatesFor(warehouse, [DATE])),
    });
    expect(written.clients.every((c) => c.status === 'written')).toBe(true);

    const platforms = Object.fromEntries(PLATFORMS.map((p) => [p, { baseUrl: sim.url, credential: { env: 'BOSCO_PG_TEST_TOKEN' }, limits: { requestsPerSecond: 500, burst: 100 } }]));
    process.env.BOSCO_PG_TEST_TOKEN = sim.token;
    const config = parseConfig({ clients, platforms }, 'test');
    const loaded = { config, file: undefined, workspaceDir: dir.path, warehousePath: join(dir.path, 'warehouse.duckdb') } as LoadedConfig;
    const stages = new LocalStageStore(join(dir.path, 'flags', 'stages.json'));
    for (const client of clients) await stages.set({ clientId: client.id, stage: 'shadow', expectedVersion: undefined });
    try {
      const summary = await runShadowDay(
        {
          loaded, warehouse: sharedWarehouse(warehouse), bus: new LocalEventLog(join(dir.path, 'events')), stages,
          checkpoints: new CheckpointStore(join(dir.path, 'checkpoints')),
          legacy: resolveSource({ uri: legacyUri, mapping: 'bosco_legacy_v1' }, {}, 'the test'),
        },
        { date: DATE, clients: shadowClients(config, await stages.list()), concurrency: 2, resume: false },
      );
      const status = Object.fromEntries(summary.results.map((r) => [r.clientId, r.status]));
      expect(status).toEqual({ 'client-1': 'pass', 'client-2': 'pass', 'client-3': 'fail' });
      const [duplicates] = await warehouse.query(`SELECT sum(duplicate_keys) AS n FROM reconcile_results WHERE client_id = 'client-3' AND metric = 'spend'`);
      expect(Number(duplicates!.n)).toBeGreaterThan(0);
    } finally {
      delete process.env.BOSCO_PG_TEST_TOKEN;
    }
  }, 120_000);
});
