// `npm run bench` (load case): transform + load throughput of the new pipeline, and its peak RSS at two day sizes.
// A day is landed once from the simulator (not timed), then `bosco pipeline transform` and `bosco pipeline load`
// run as fresh processes into an empty warehouse. See README § Benchmark.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLATFORMS, type Platform } from '../core/metric-row.js';
import { CONNECTORS } from '../new-pipeline/connectors/index.js';
import type { Connector } from '../new-pipeline/connectors/types.js';
import { runFetch } from '../new-pipeline/fetch/run-fetch.js';
import { simFxRatesCsv } from '../new-pipeline/simulator/fx.js';
import { startSimulator } from '../new-pipeline/simulator/server.js';
import { median, runChild } from './child.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const DATA_DIR = join(BENCH_DIR, '.data');
const DATE = '2026-11-20';
const RUNS = 3;

interface Day {
  dir: string;
  clients: number;
}

/** Every client has one account per platform; every fourth is in a 10× launch spike, as on a busy day. */
function clientsOf(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    currency: ['USD', 'EUR', 'GBP'][i % 3]!,
    accounts: PLATFORMS.map((platform) => ({ platform, accountId: platform === 'shopify' ? `benchshop${i}` : `${7000 + i}${PLATFORMS.indexOf(platform)}` })),
  }));
}

/** Lands the day once per size (cached under bench/.data), with the config and FX rates the steps read. */
async function landDay(clients: number): Promise<Day> {
  const dir = join(DATA_DIR, `load-${clients}`);
  const config = clientsOf(clients);
  if (!existsSync(join(dir, 'landed.ok'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const spikes = config.filter((_, i) => i % 4 === 0).flatMap((c) => c.accounts.map((a) => a.accountId));
    const sim = await startSimulator({ spikeAccounts: spikes });
    try {
      const connectors = new Map<Platform, Connector>(CONNECTORS.map((c) => [c.platform, c]));
      const limits = { requestsPerSecond: 2000, burst: 500, perAccountRequestsPerSecond: 2000 };
      const endpoints = new Map(PLATFORMS.map((p) => [p, { baseUrl: sim.url, credential: sim.token, settings: { limits } }] as const));
      const summary = await runFetch({ runId: 'bench-fetch', date: DATE, clients: config, connectors, endpoints, workspaceDir: join(dir, 'ws'), sockets: 32, partitionConcurrency: 16 });
      const failed = summary.partitions.filter((p) => p.status === 'failed');
      if (failed.length > 0) throw new Error(`landing the bench day failed: ${failed[0]!.error}`);
    } finally {
      await sim.close();
    }
    writeFileSync(join(dir, 'rates.csv'), simFxRatesCsv(DATE, DATE));
    writeFileSync(join(dir, 'landed.ok'), '');
  }
  writeFileSync(join(dir, 'bosco.config.json'), JSON.stringify({ workspace: 'ws', clients: config }));
  return { dir, clients };
}

interface LoadRun {
  ms: number;
  rows: number;
  peakRssMb: number;
}

/** One transform + load of the day into an empty warehouse, each step a fresh `bosco` process. */
async function transformAndLoad(day: Day): Promise<LoadRun> {
  rmSync(join(day.dir, 'ws', 'warehouse.duckdb'), { force: true });
  rmSync(join(day.dir, 'ws', 'warehouse.duckdb.wal'), { force: true });
  rmSync(join(day.dir, 'ws', 'staged'), { recursive: true, force: true });
  const rssFile = join(DATA_DIR, `rss-load-${process.pid}.txt`);
  const step = async (args: string[]) => {
    const run = await runChild('cli-child.ts', args, { cwd: day.dir, rssFile });
    if (run.exitCode !== 0) throw new Error(`bosco ${args.join(' ')} exited ${run.exitCode}\n${run.stderr.slice(-2000)}\n${run.stdout.slice(0, 2000)}`);
    return run;
  };
  await step(['fx', 'import', 'rates.csv']);
  const transform = await step(['pipeline', 'transform', '--date', DATE, '--format', 'json']);
  const load = await step(['pipeline', 'load', '--date', DATE, '--format', 'json']);
  const rows = (JSON.parse(load.stdout) as { partitions: Array<{ rows: number }> }).partitions.reduce((sum, p) => sum + p.rows, 0);
  return { ms: transform.ms + load.ms, rows, peakRssMb: Math.max(transform.peakRssMb, load.peakRssMb) };
}

export interface LoadBenchResult {
  clients: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

export async function runLoadBench(sizes = (process.env.BENCH_LOAD_CLIENTS ?? '20,80').split(',').map(Number)): Promise<{ table: string; json: unknown }> {
  mkdirSync(DATA_DIR, { recursive: true });
  const results: LoadBenchResult[] = [];
  for (const clients of sizes) {
    const day = await landDay(clients);
    const runs: LoadRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await transformAndLoad(day));
    const ms = median(runs.map((r) => r.ms));
    results.push({ clients, rows: runs[0]!.rows, seconds: ms / 1000, rowsPerSecond: Math.round(runs[0]!.rows / (ms / 1000)), peakRssMb: Math.round(Math.max(...runs.map((r) => r.peakRssMb))) });
    process.stderr.write(`load bench: ${clients} clients, ${runs[0]!.rows} rows: ${(ms / 1000).toFixed(2)} s\n`);
  }
  const [small, large] = [results[0]!, results.at(-1)!];
  const lines = [
    `new pipeline transform + load: median of ${RUNS} runs, each step a fresh bosco process, into an empty DuckDB warehouse`,
    'clients  partitions  rows      seconds  rows/s   peak RSS (MB)',
    ...results.map((r) => `${String(r.clients).padEnd(7)}  ${String(r.clients * PLATFORMS.length).padEnd(10)}  ${String(r.rows).padEnd(8)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(r.rowsPerSecond).padStart(7)}  ${String(r.peakRssMb).padStart(13)}`),
    `rows ×${(large.rows / small.rows).toFixed(1)} → peak RSS ×${(large.peakRssMb / small.peakRssMb).toFixed(2)} (memory must not grow with the day's size)`,
  ];
  return { table: lines.join('\n'), json: { bench: 'pipeline-load', runs: RUNS, sizes: results } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { table, json } = await runLoadBench();
  console.log(table);
  console.log(JSON.stringify(json));
}
