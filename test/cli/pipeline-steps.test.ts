import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { openWarehouse } from '../../core/warehouse/index.js';
import { CONNECTORS } from '../../new-pipeline/connectors/index.js';
import type { Connector } from '../../new-pipeline/connectors/types.js';
import { runFetch } from '../../new-pipeline/fetch/run-fetch.js';
import { partitionPath } from '../../new-pipeline/landing/raw-landing.js';
import { ensurePipelineTables, pipelineTables, SERVING_TABLES } from '../../new-pipeline/load/pipeline-tables.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

const DAYS = ['2026-11-19', '2026-11-20'];
const clients = [1, 2].map((i) => ({ id: `client-${i}`, currency: i === 1 ? 'USD' : 'EUR', accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `shop${i}` : `${i}00${PLATFORMS.indexOf(platform)}` })) }));

/** Transform, load, replay, lineage, quality and FX import, run as a user runs them on days already fetched. */
describe('bosco pipeline transform | load | replay, lineage show, quality report, fx import', () => {
  const dir = makeTempDir();
  const cli = (...args: string[]) => runCli(args, { cwd: dir.path });
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator();
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients }));
    writeFileSync(join(dir.path, 'rates.csv'), simFxRatesCsv(DAYS[0]!, DAYS[1]!));
    const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
    const endpoints = new Map(PLATFORMS.map((p) => [p, { baseUrl: sim.url, credential: sim.token, settings: { limits: { requestsPerSecond: 500, burst: 100 } } }] as const));
    for (const date of DAYS) {
      await runFetch({ runId: `fetch-${date}`, date, clients, connectors, endpoints, workspaceDir: join(dir.path, '.bosco'), sockets: 16, partitionConcurrency: 8 });
    }
  });
  afterAll(async () => {
    await sim.close();
    dir.cleanup();
  });

  it('imports FX rates, then transforms and loads a day, exit 0', async () => {
    expect((await cli('fx', 'import', 'rates.csv')).stdout).toContain('Imported 40 FX rate(s)');
    const transformed = await cli('pipeline', 'transform', '--date', DAYS[1]!, '--format', 'json');
    expect(transformed.code, transformed.stderr).toBe(0);
    expect(JSON.parse(transformed.stdout).partitions).toHaveLength(10);
    const loaded = await cli('pipeline', 'load', '--date', DAYS[1]!);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('OK: 10 partition(s)');
  });

  it('shows where a client’s numbers came from, down to the raw payload file', async () => {
    const shown = await cli('lineage', 'show', '--client', 'client-2', '--date', DAYS[1]!, '--format', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    const { loads } = JSON.parse(shown.stdout);
    expect(loads.map((l: { platform: string }) => l.platform).sort()).toEqual([...PLATFORMS].sort());
    expect(loads.find((l: { platform: string }) => l.platform === 'meta_ads').raw_path).toBe(partitionPath(join(dir.path, '.bosco'), { date: DAYS[1]!, platform: 'meta_ads', clientId: 'client-2' }));
    const text = await cli('lineage', 'show', '--client', 'client-2', '--date', DAYS[1]!, '--platform', 'google_ads');
    expect(text.stdout).toMatch(/google_ads · current/);
    expect(text.stdout).toContain('sha256');
    expect(text.stdout).toContain('verified: the file’s sha256 matches');
    expect(loads.every((l: { raw_payload: { state: string } }) => l.raw_payload.state === 'verified')).toBe(true);
  });

  it('reads lineage and quality from a namespace with --namespace, where a shadow run loads', async () => {
    // What a shadow run leaves: the day's lineage and quality in the shadow namespace, under its own run id.
    const loaded = await loadConfig({ cwd: dir.path });
    const warehouse = await openWarehouse(loaded);
    try {
      const shadow = pipelineTables('shadow');
      await ensurePipelineTables(warehouse, shadow);
      for (const table of ['lineage', 'quality'] as const) {
        await warehouse.run(`INSERT INTO ${shadow[table]} SELECT * REPLACE ('shadow-run' AS run_id) FROM ${SERVING_TABLES[table]} WHERE date = CAST(? AS DATE)`, [DAYS[1]!]);
      }
    } finally {
      await warehouse.close();
    }
    const serving = await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[0]!);
    expect(serving.code).toBe(2);
    expect(serving.stderr).toContain('add --namespace shadow');
    expect((await cli('quality', 'report', '--date', DAYS[0]!)).stdout).toContain('(no partitions checked on this day; a client in shadow is loaded into the shadow namespace');

    const shown = await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!, '--namespace', 'shadow', '--format', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    const parsed = JSON.parse(shown.stdout);
    expect(parsed.namespace).toBe('shadow');
    expect(parsed.loads.map((l: { run_id: string }) => l.run_id)).toEqual(PLATFORMS.map(() => 'shadow-run'));
    const quality = await cli('quality', 'report', '--date', DAYS[1]!, '--namespace', 'shadow', '--format', 'json');
    expect(quality.code, quality.stderr).toBe(0);
    expect(JSON.parse(quality.stdout).partitions.map((p: { run_id: string }) => p.run_id)).toEqual(Array.from({ length: 10 }, () => 'shadow-run'));

    const typo = await cli('quality', 'report', '--date', DAYS[1]!, '--namespace', 'shadw');
    expect(typo.code).toBe(2);
    expect(typo.stderr.split('\n')[0]).toMatch(/no pipeline run has loaded into namespace 'shadw'/);
    const notAName = await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!, '--namespace', 'shadow; DROP TABLE x');
    expect(notAName.code).toBe(2);
    expect(notAName.stderr.split('\n')[0]).toMatch(/--namespace 'shadow; DROP TABLE x' is not a schema name/);
  });

  it('replays a range from landed payloads alone, calling no API', async () => {
    const calls = () => Object.values(sim.counters).reduce((sum, c) => sum + c.requests, 0);
    const callsBefore = calls();
    const replayed = await cli('pipeline', 'replay', '--from', DAYS[0]!, '--to', DAYS[1]!, '--format', 'json');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout).partitions.filter((p: { status: string }) => p.status === 'loaded')).toHaveLength(20);
    expect(calls()).toBe(callsBefore);
  });

  it('runs fetch, transform and load in one command against the platforms’ base URL', async () => {
    const tokens = Object.fromEntries(PLATFORMS.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, sim.token]));
    const run = await runCli(['pipeline', 'run', '--date', DAYS[1]!, '--base-url', sim.url, '--format', 'json'], { cwd: dir.path, env: tokens });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).partitions.filter((p: { status: string }) => p.status === 'loaded')).toHaveLength(10);
    expect(run.stdout + run.stderr).not.toContain(sim.token);
  });

  it('reports quality per partition and exits 1 once a partition is quarantined', async () => {
    expect((await cli('quality', 'report', '--date', DAYS[1]!)).code).toBe(0);
    writeFileSync(partitionPath(join(dir.path, '.bosco'), { date: DAYS[1]!, platform: 'tiktok_ads', clientId: 'client-1' }), 'not gzip');
    const transformed = await cli('pipeline', 'transform', '--date', DAYS[1]!, '--client', 'client-1');
    expect(transformed.code).toBe(1);
    await cli('pipeline', 'load', '--date', DAYS[1]!, '--client', 'client-1');
    const report = await cli('quality', 'report', '--date', DAYS[1]!, '--format', 'json');
    expect(report.code).toBe(1);
    const quarantined = JSON.parse(report.stdout).partitions.filter((p: { status: string }) => p.status === 'quarantined');
    expect(quarantined).toMatchObject([{ client_id: 'client-1', platform: 'tiktok_ads' }]);
  });

  it('says when the raw payload behind the current rows has changed or gone since the load, exit 1', async () => {
    // The quarantined tiktok_ads payload above was overwritten after its last load; meta_ads's is now deleted.
    rmSync(partitionPath(join(dir.path, '.bosco'), { date: DAYS[1]!, platform: 'meta_ads', clientId: 'client-1' }));
    const shown = await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!);
    expect(shown.code, shown.stderr).toBe(1);
    const block = (platform: string) => shown.stdout.slice(shown.stdout.indexOf(`${platform} · current`)).split(/\n(?=\S)/)[0];
    expect(block('tiktok_ads')).toMatch(/CHANGED since this load: the file’s sha256 no longer matches \(now [0-9a-f]{64}\)/);
    expect(block('meta_ads')).toContain('MISSING: the file is no longer there');
    expect(block('google_ads')).toContain('verified');
    expect(shown.stdout).toMatch(/WARNING: meta_ads, tiktok_ads: the raw payload the current rows were loaded from is (missing or changed|changed or missing)/);
    const json = JSON.parse((await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!, '--platform', 'meta_ads', '--format', 'json')).stdout);
    expect(json.loads[0].raw_payload).toEqual({ state: 'missing' });
  });

  it.each([
    [['pipeline', 'transform', '--date', 'someday'], /--date 'someday' is not a date/],
    [['pipeline', 'load', '--date', DAYS[1]!, '--platform', 'myspace'], /unknown platform 'myspace'/],
    [['pipeline', 'replay', '--from', DAYS[1]!, '--to', DAYS[0]!], /is after --to/],
    [['lineage', 'show', '--client', 'nobody', '--date', DAYS[1]!], /nothing was loaded for client 'nobody'/],
    [['fx', 'import', 'missing.csv'], /missing.csv does not exist/],
  ])('refuses %j with one clear line and exit 2', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('calls a payload deleted by retention expired, not lost: exit 0', async () => {
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients, retention: { rawDays: 10 } }));
    const applied = await cli('retention', 'apply', '--format', 'json');
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout).files.raw.days).toBe(DAYS.length);
    const shown = await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('EXPIRED: deleted by retention (raw payloads are kept 10 days)');
    expect(shown.stdout).not.toContain('WARNING');
    const json = JSON.parse((await cli('lineage', 'show', '--client', 'client-1', '--date', DAYS[1]!, '--platform', 'meta_ads', '--format', 'json')).stdout);
    expect(json.loads[0]).toMatchObject({ raw_payload: { state: 'missing' }, raw_payload_expired: true });
  });
});
