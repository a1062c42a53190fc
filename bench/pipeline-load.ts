// `npm run bench` (load case): transform + load throughput of the new pipeline, and its peak RSS at two day sizes.
// A day is landed once from the simulator (not timed), then `bosco pipeline transform` and `bosco pipeline load`
// run as fresh processes into an empty warehouse. See README § Benchmark.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Platform } from '../core/metric-row.js';
import { SIMULATED_PLATFORM_NAMES } from '../new-pipeline/simulator/platforms/index.js';
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
/**
 * The V8 heap cap the steps run under, as a deployment sets it (NODE_OPTIONS). The steps hold one partition at a
 * time, so their live heap is small; uncapped, V8 lets old garbage pile up toward a quarter of the machine's memory
 * before collecting it, and peak RSS would measure that laziness instead of what the step keeps.
 */
export const PIPELINE_HEAP_MB = 256;

/**
 * The day the issue sizes the pipeline for: 1 TB of raw API payloads (JSON as the platforms send it) a month, so
 * about 33 GB a day. The bench's days are the same traffic scaled down by client count; `rawBytes` says by how much.
 */
const TB_MONTH_DAY_BYTES = 1e12 / (365.25 / 12);

interface Day {
  dir: string;
  clients: number;
  /** The day's raw payloads as the APIs sent them (landed files, uncompressed). */
  rawBytes: number;
}

/** Uncompressed bytes of every landed raw file of the day. */
function rawBytesOf(workspace: string): number {
  const dayDir = join(workspace, 'raw', `date=${DATE}`);
  let bytes = 0;
  for (const platform of readdirSync(dayDir)) {
    for (const file of readdirSync(join(dayDir, platform))) bytes += gunzipSync(readFileSync(join(dayDir, platform, file))).length;
  }
  return bytes;
}

/** Every client has one account per platform; every fourth is in a 10× launch spike, as on a busy day. */
function clientsOf(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    currency: ['USD', 'EUR', 'GBP'][i % 3]!,
    accounts: SIMULATED_PLATFORM_NAMES.map((platform) => ({ platform, accountId: platform === 'shopify' ? `benchshop${i}` : `${7000 + i}${SIMULATED_PLATFORM_NAMES.indexOf(platform)}` })),
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
      const endpoints = new Map(SIMULATED_PLATFORM_NAMES.map((p) => [p, { baseUrl: sim.url, credential: sim.token, settings: { limits } }] as const));
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
  return { dir, clients, rawBytes: rawBytesOf(join(dir, 'ws')) };
}

interface LoadRun {
  ms: number;
  transformMs: number;
  loadMs: number;
  rows: number;
  transformPeakRssMb: number;
  loadPeakRssMb: number;
  /** CPU time (user + system) of both steps: steadier than wall time on a machine shared with other work. */
  cpuSeconds: number;
}

/** CPU seconds used so far by this process's finished children (Linux; NaN elsewhere). */
function childrenCpuSeconds(): number {
  try {
    // Fields after the command name: state is the 3rd, cutime and cstime the 16th and 17th.
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** One transform + load of the day into an empty warehouse, each step a fresh `bosco` process. */
async function transformAndLoad(day: Day): Promise<LoadRun> {
  rmSync(join(day.dir, 'ws', 'warehouse.duckdb'), { force: true });
  rmSync(join(day.dir, 'ws', 'warehouse.duckdb.wal'), { force: true });
  rmSync(join(day.dir, 'ws', 'staged'), { recursive: true, force: true });
  const rssFile = join(DATA_DIR, `rss-load-${process.pid}.txt`);
  const step = async (args: string[]) => {
    const run = await runChild('cli-child.ts', args, { cwd: day.dir, rssFile, env: { NODE_OPTIONS: `--max-old-space-size=${PIPELINE_HEAP_MB}` } });
    if (run.exitCode !== 0) throw new Error(`bosco ${args.join(' ')} exited ${run.exitCode}\n${run.stderr.slice(-2000)}\n${run.stdout.slice(0, 2000)}`);
    return run;
  };
  await step(['fx', 'import', 'rates.csv']);
  const cpuBefore = childrenCpuSeconds();
  const transform = await step(['pipeline', 'transform', '--date', DATE, '--format', 'json']);
  const load = await step(['pipeline', 'load', '--date', DATE, '--format', 'json']);
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  const partitions = (JSON.parse(load.stdout) as { partitions: Array<{ rows: number; status: string }> }).partitions;
  const notLoaded = partitions.filter((p) => p.status !== 'loaded');
  if (notLoaded.length > 0) throw new Error(`${notLoaded.length} partition(s) of the bench day were not loaded, e.g. ${JSON.stringify(notLoaded[0])}`);
  const rows = partitions.reduce((sum, p) => sum + p.rows, 0);
  return { ms: transform.ms + load.ms, transformMs: transform.ms, loadMs: load.ms, rows, transformPeakRssMb: transform.peakRssMb, loadPeakRssMb: load.peakRssMb, cpuSeconds };
}

export interface LoadBenchResult {
  clients: number;
  rows: number;
  rawMb: number;
  seconds: number;
  transformSeconds: number;
  loadSeconds: number;
  cpuSeconds: number;
  rowsPerSecond: number;
  /** The larger of the two steps' peaks, each the highest of the runs. */
  peakRssMb: number;
  transformPeakRssMb: number;
  loadPeakRssMb: number;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);

/**
 * Day sizes in clients (each with one account per platform, every fourth in a launch spike): the larger is 8× the
 * smaller, so a peak RSS that follows the day's size shows, and landing it stays within a minute on 2 cores.
 */
export async function runLoadBench(sizes = (process.env.BENCH_LOAD_CLIENTS ?? '50,400').split(',').map(Number)): Promise<{ table: string; json: unknown }> {
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error(`BENCH_LOAD_CLIENTS must be comma-separated client counts, got '${process.env.BENCH_LOAD_CLIENTS}'`);
  mkdirSync(DATA_DIR, { recursive: true });
  const results: LoadBenchResult[] = [];
  for (const clients of sizes) {
    const day = await landDay(clients);
    const runs: LoadRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await transformAndLoad(day));
    const ms = median(runs.map((r) => r.ms));
    const transformPeakRssMb = Math.round(Math.max(...runs.map((r) => r.transformPeakRssMb)));
    const loadPeakRssMb = Math.round(Math.max(...runs.map((r) => r.loadPeakRssMb)));
    results.push({
      clients,
      rows: runs[0]!.rows,
      rawMb: Math.round(day.rawBytes / 1e5) / 10,
      seconds: ms / 1000,
      transformSeconds: median(runs.map((r) => r.transformMs)) / 1000,
      loadSeconds: median(runs.map((r) => r.loadMs)) / 1000,
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
      rowsPerSecond: Math.round(runs[0]!.rows / (ms / 1000)),
      peakRssMb: Math.max(transformPeakRssMb, loadPeakRssMb),
      transformPeakRssMb,
      loadPeakRssMb,
    });
    process.stderr.write(`load bench: ${clients} clients, ${runs[0]!.rows} rows: ${(ms / 1000).toFixed(2)} s\n`);
  }
  const [small, large] = [results[0]!, results.at(-1)!];
  const largeDay = large.rawMb * 1e6;
  const fullDayHours = (TB_MONTH_DAY_BYTES / largeDay) * large.seconds / 3600;
  const header = ['clients', 'partitions', 'rows', 'raw MB', 'transform s', 'load s', 'seconds', 'cpu s', 'rows/s', 'peak RSS MB (transform / load)'];
  const lines = results.map((r) => [
    String(r.clients), String(r.clients * SIMULATED_PLATFORM_NAMES.length), String(r.rows), fixed(r.rawMb, 1), fixed(r.transformSeconds, 2), fixed(r.loadSeconds, 2), fixed(r.seconds, 2),
    fixed(r.cpuSeconds, 2), String(r.rowsPerSecond), `${r.peakRssMb} (${r.transformPeakRssMb} / ${r.loadPeakRssMb})`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const table = [
    `new pipeline transform + load: median of ${RUNS} runs, each step a fresh bosco process, into an empty DuckDB warehouse, V8 heap capped at ${PIPELINE_HEAP_MB} MB`,
    format(header),
    ...lines.map(format),
    `rows ×${(large.rows / small.rows).toFixed(1)} → peak RSS ×${(large.peakRssMb / small.peakRssMb).toFixed(2)} (memory must not grow with the day's size)`,
    `a 1 TB/month day is ~${(TB_MONTH_DAY_BYTES / 1e9).toFixed(0)} GB of raw payloads; the ${large.clients}-client day here is ${large.rawMb} MB of them, 1/${Math.round(TB_MONTH_DAY_BYTES / largeDay)} of that day:`,
    `  at ${large.rowsPerSecond} rows/s (${(largeDay / 1e6 / large.seconds).toFixed(1)} MB/s of raw payload) the full day would take ~${fullDayHours.toFixed(1)} h on this machine`,
  ];
  return { table: table.join('\n'), json: { bench: 'pipeline-load', runs: RUNS, tbMonthDayBytes: Math.round(TB_MONTH_DAY_BYTES), sizes: results } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { table, json } = await runLoadBench();
  console.log(table);
  console.log(JSON.stringify(json));
}
