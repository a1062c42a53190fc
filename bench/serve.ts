// The serving bench: requests per second and p99 latency of `GET /v1/clients/:id/metrics` for a 30-day range, over
// loopback HTTP with keep-alive connections, against the same SQL run directly on the same warehouse in the same
// run. The server is built as `bosco serve` builds it (openServeDeps, buildServer) in a child process, so the load
// loop here does not share its event loop; the direct queries run in that child too, on the server's own open
// warehouse (an embedded DuckDB file admits one process), in turns with the HTTP runs so that drift on the machine
// hits both alike. Clients are split between the two sides (live → new, shadow → legacy), measured apart.
//
// `node --import tsx bench/serve.ts` prints the table and a JSON line; `runServeBench()` returns both.
// BENCH_SERVE_SECONDS (default 4) per measurement and round, BENCH_SERVE_CONCURRENCY (default 16) connections.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config.js';
import { addDays } from '../core/dates.js';
import { DuckDbWarehouse } from '../core/warehouse/duckdb/duckdb-warehouse.js';
import { LocalStageStore } from '../flags/local/local-stage-store.js';
import { LEGACY_EXPORT_TABLE, LEGACY_PLATFORM_CODES } from '../legacy-adapter/legacy-schema.js';
import { warehouseLegacyStore } from '../legacy-adapter/emulator/stores/warehouse-legacy-store.js';
import { ensurePipelineTables, SERVING_TABLES } from '../new-pipeline/load/pipeline-tables.js';
import { metricsStatement, servingRelation, type MetricsRequest, type ServingSide } from '../serve/api/metrics-query.js';
import { generateKey, hashKey } from '../serve/auth/keys.js';
import { buildServer, openServeDeps } from '../serve/server.js';

const BENCH_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = join(dirname(BENCH_FILE), '..');
const CLIENTS = 40;
const DAYS = 120;
const CAMPAIGNS = 10;
const FIRST_DAY = '2026-01-01';
const RANGE_DAYS = 30;
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 4);
const ROUNDS = 2;
const CONCURRENCY = Number(process.env.BENCH_SERVE_CONCURRENCY ?? 16);
const WARMUP_MS = 500;

const clientId = (i: number) => `client-${String(i).padStart(3, '0')}`;
/** Even clients are live (served by the new side), odd ones in shadow (served by legacy). */
const sideOf = (i: number): ServingSide => (i % 2 === 0 ? 'new' : 'legacy');

/** The i-th request of a side: a client of that side and a 30-day window, the same sequence for every way of asking. */
function nthRequest(side: ServingSide, n: number): MetricsRequest {
  const clients = Array.from({ length: CLIENTS }, (_, i) => i).filter((i) => sideOf(i) === side);
  const from = addDays(FIRST_DAY, (n * 7) % (DAYS - RANGE_DAYS + 1));
  return { clientId: clientId(clients[n % clients.length]!), from, to: addDays(from, RANGE_DAYS - 1), granularity: 'day' };
}

/** Both sides' tables with CLIENTS × DAYS × 5 platforms × CAMPAIGNS rows each, generated inside the engine. */
async function seed(path: string): Promise<number> {
  const warehouse = await DuckDbWarehouse.open({ path });
  try {
    await ensurePipelineTables(warehouse);
    await warehouseLegacyStore(warehouse, LEGACY_EXPORT_TABLE, { sourceUri: '', ownsWarehouse: false }).prepare();
    const platforms = Object.entries(LEGACY_PLATFORM_CODES).map(([code, platform], i) => `(${i}, '${platform}', '${code}')`).join(', ');
    const grid = `FROM range(${CLIENTS}) c(c), range(${DAYS}) d(d), (VALUES ${platforms}) p(i, platform, code), range(${CAMPAIGNS}) k(k)`;
    const h = (salt: number) => `(hash(c, d, i, k, ${salt}) % 10000)`;
    const client = `'client-' || lpad(CAST(c AS VARCHAR), 3, '0')`;
    await warehouse.run(
      `INSERT INTO ${SERVING_TABLES.metricRows} (client_id, date, platform, account_id, campaign_id, currency, spend, impressions, clicks, conversions, revenue)
       SELECT ${client}, DATE '${FIRST_DAY}' + CAST(d AS INTEGER), platform, 'acct-' || c || '-' || i, 'camp-' || k, 'USD',
              ${h(1)} / 100.0, ${h(2)} * 10, ${h(3)} / 10, ${h(4)} / 1000.0, ${h(5)} / 25.0 ${grid}`,
    );
    await warehouse.run(
      `INSERT INTO ${LEGACY_EXPORT_TABLE} (client_ref, stat_ts, src, account_ref, campaign_ref, ccy, cost_micros, impr, clk, conv, rev_micros)
       SELECT ${client}, CAST(DATE '${FIRST_DAY}' + CAST(d AS INTEGER) AS TIMESTAMP), code, 'acct-' || c || '-' || i, 'camp-' || k, 'USD',
              ${h(1)} * 10000, ${h(2)} * 10, ${h(3)} / 10, ${h(4)} / 1000.0, ${h(5)} * 40000 ${grid}`,
    );
    const [row] = await warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${SERVING_TABLES.metricRows}`);
    return Number(row?.n);
  } finally {
    await warehouse.close();
  }
}

interface Measure {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** What one measurement recorded: each request's latency, and how long it ran. */
interface Sample {
  latencies: number[];
  elapsedMs: number;
}

/** The samples of every round taken together. */
function summarise(samples: readonly Sample[]): Measure {
  const sorted = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const elapsedMs = samples.reduce((total, s) => total + s.elapsedMs, 0);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  return { requests: sorted.length, perSecond: round(sorted.length / (elapsedMs / 1000), 1), p50Ms: round(at(0.5), 3), p99Ms: round(at(0.99), 3) };
}

/** Runs `once` from `workers` loops for WARMUP_MS unrecorded, then SECONDS recorded. */
async function load(workers: number, once: (n: number) => Promise<void>): Promise<Sample> {
  let n = 0;
  const latencies: number[] = [];
  const run = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const started = performance.now();
      await once(n++);
      if (record) latencies.push(performance.now() - started);
    }
  };
  const warm = performance.now() + WARMUP_MS;
  await Promise.all(Array.from({ length: workers }, () => run(warm, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, () => run(started + SECONDS * 1000, true)));
  return { latencies, elapsedMs: performance.now() - started };
}

function httpGet(agent: Agent, url: URL, key: string): Promise<{ status: number; servedBy: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: res.headers['x-bosco-served-by'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function measureHttp(base: string, keys: Map<string, string>, side: ServingSide, connections: number): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  try {
    return await load(connections, async (n) => {
      const r = nthRequest(side, n);
      const url = new URL(`/v1/clients/${r.clientId}/metrics?from=${r.from}&to=${r.to}&granularity=day`, base);
      const { status, servedBy } = await httpGet(agent, url, keys.get(r.clientId)!);
      // Timing wrong answers would time nothing: every answer must be a 200 from the side the client's stage says.
      if (status !== 200 || servedBy !== side) throw new Error(`${url.pathname}: status ${status}, served by ${servedBy}, expected 200 from ${side}`);
    });
  } finally {
    agent.destroy();
  }
}

type ToServer = { direct: ServingSide } | { stop: true };
type FromServer = { url: string } | { sample: Sample };

/**
 * The child: the server as `bosco serve` builds it, listening on a free port. Asked for `direct`, it runs the same
 * statement the route builds on its own open warehouse, one at a time (the warehouse has one connection), while no
 * HTTP load runs.
 */
async function serveChild(config: string): Promise<void> {
  const send = (message: FromServer) => process.send!(message);
  const opened = await openServeDeps(await loadConfig({ explicitPath: config }));
  const app = await buildServer(opened.deps);
  send({ url: await app.listen({ host: '127.0.0.1', port: 0 }) });
  process.on('message', async (message: ToServer) => {
    if ('stop' in message) {
      await app.close();
      await opened.close();
      process.disconnect();
      return;
    }
    const side = message.direct;
    const sample = await opened.deps.warehouse.use(async (warehouse) => {
      const relation = await servingRelation(warehouse, side);
      return load(1, async (n) => {
        const { sql, params } = metricsStatement(relation, nthRequest(side, n));
        await warehouse.query(sql, params);
      });
    });
    send({ sample });
  });
}

/** Starts the server child and returns how to talk to it. */
async function startServer(config: string): Promise<{ url: string; direct(side: ServingSide): Promise<Sample>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', BENCH_FILE, '--serve', config], { cwd: REPO_ROOT, env: { ...process.env, BOSCO_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<FromServer>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the server child exited with ${code}`));
      child.once('exit', exited);
      child.once('message', (message: FromServer) => {
        child.off('exit', exited);
        resolve(message);
      });
    });
  const first = await next();
  if (!('url' in first)) throw new Error('the server child did not say where it listens');
  return {
    url: first.url,
    async direct(side) {
      const answer = next();
      child.send({ direct: side } satisfies ToServer);
      const message = await answer;
      if (!('sample' in message)) throw new Error('the server child answered a direct run with something else');
      return message.sample;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true } satisfies ToServer);
      await exited;
    },
  };
}

interface SideResult {
  side: ServingSide;
  direct: Measure;
  http1: Measure;
  httpN: Measure;
  /** HTTP requests/s at CONCURRENCY connections over direct queries/s. */
  throughputRatio: number;
  /** HTTP p99 at one connection over the direct p99. */
  p99Ratio: number;
}

function renderTable(rows: number, results: SideResult[]): string {
  const lines = [
    ['side', 'how', 'req/s', 'p50 ms', 'p99 ms'],
    ...results.flatMap((r) =>
      ([
        ['SQL on the warehouse', r.direct],
        ['HTTP, 1 connection', r.http1],
        [`HTTP, ${CONCURRENCY} connections`, r.httpN],
      ] as const).map(([how, m]) => [r.side, how, m.perSecond.toFixed(0), m.p50Ms.toFixed(2), m.p99Ms.toFixed(2)]),
    ),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [
    `serve: GET /v1/clients/:id/metrics, ${RANGE_DAYS}-day range by day, over loopback HTTP with keep-alive, against the same SQL run directly on the warehouse`,
    `(${CLIENTS} clients × ${DAYS} days × 5 platforms × ${CAMPAIGNS} campaigns = ${rows.toLocaleString('en-US')} rows per side; ${ROUNDS} alternating rounds of ${SECONDS} s per measurement)`,
    format(lines[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.slice(1).map(format),
    ...results.map((r) => `${r.side}: HTTP at ${CONCURRENCY} connections serves ${r.throughputRatio.toFixed(2)}× the direct queries/s; p99 at 1 connection is ${r.p99Ratio.toFixed(2)}× the direct p99`),
  ].join('\n');
}

export async function runServeBench(): Promise<{ table: string; json: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'bosco-bench-serve-'));
  try {
    const rows = await seed(join(dir, 'warehouse.duckdb'));
    const store = new LocalStageStore(join(dir, 'flags', 'stages.json'));
    const keys = new Map<string, string>();
    for (let i = 0; i < CLIENTS; i++) {
      await store.set({ clientId: clientId(i), stage: sideOf(i) === 'new' ? 'live' : 'shadow', expectedVersion: undefined });
      keys.set(clientId(i), generateKey());
    }
    const config = join(dir, 'bosco.config.json');
    const serveKeys = [...keys].map(([client, key], i) => ({ id: `k${i}`, hash: hashKey(key), client }));
    // The server answers only for configured clients (404 for any other).
    const clients = [...keys.keys()].map((id) => ({ id, accounts: [{ platform: 'google_ads', accountId: `${id}-ads` }] }));
    writeFileSync(config, JSON.stringify({ workspace: '.', clients, serve: { port: 0, keys: serveKeys } }));

    const server = await startServer(config);
    const samples = { new: { direct: [] as Sample[], http1: [] as Sample[], httpN: [] as Sample[] }, legacy: { direct: [] as Sample[], http1: [] as Sample[], httpN: [] as Sample[] } };
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const side of ['new', 'legacy'] as const) {
          samples[side].direct.push(await server.direct(side));
          samples[side].http1.push(await measureHttp(server.url, keys, side, 1));
          samples[side].httpN.push(await measureHttp(server.url, keys, side, CONCURRENCY));
          process.stderr.write(`serve bench: round ${round}/${ROUNDS}, ${side} side measured\n`);
        }
      }
    } finally {
      await server.stop();
    }
    const round2 = (value: number) => Math.round(value * 100) / 100;
    const results: SideResult[] = (['new', 'legacy'] as const).map((side) => {
      const [direct, http1, httpN] = [summarise(samples[side].direct), summarise(samples[side].http1), summarise(samples[side].httpN)];
      return { side, direct, http1, httpN, throughputRatio: round2(httpN.perSecond / direct.perSecond), p99Ratio: round2(http1.p99Ms / direct.p99Ms) };
    });
    return {
      table: renderTable(rows, results),
      json: { bench: 'serve', clients: CLIENTS, days: DAYS, rowsPerSide: rows, rangeDays: RANGE_DAYS, rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY, sides: results },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === BENCH_FILE) {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt >= 0) {
    await serveChild(process.argv[serveAt + 1]!);
  } else {
    const { table, json } = await runServeBench();
    console.log(table);
    console.log(JSON.stringify(json));
  }
}
