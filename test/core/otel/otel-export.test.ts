import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../../core/metric-row.js';
import { simFxRatesCsv } from '../../../new-pipeline/simulator/fx.js';
import { startSimulator, type RunningSimulator } from '../../../new-pipeline/simulator/server.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { TEST_DATE, metricRow, writeCsv } from '../../helpers/factories.js';
import { deadPort, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

// Whatever the machine running the tests has set must not turn export on or off behind a test's back.
const NO_OTEL_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: '',
  OTEL_TRACES_EXPORTER: '',
  OTEL_METRICS_EXPORTER: '',
  OTEL_SDK_DISABLED: '',
  OTEL_SERVICE_NAME: '',
};
const RECORD_IMPORTS = pathToFileURL(join(import.meta.dirname, 'record-imports.mjs')).href;

describe('OpenTelemetry export from the CLI', () => {
  const dir = makeTempDir('bosco-otel-');
  let legacy: string;
  let next: string;
  let receiver: OtlpReceiver;

  beforeAll(() => {
    legacy = writeCsv(join(dir.path, 'legacy.csv'), [metricRow(), metricRow({ campaign_id: 'camp-2' })]);
    next = writeCsv(join(dir.path, 'next.csv'), [metricRow({ spend: 11 }), metricRow({ campaign_id: 'camp-2' })]);
  });
  afterAll(() => dir.cleanup());
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  /** A reconcile with one differing row; `imports` names a file that receives every module the child resolves. */
  const reconcile = (extra: string[], env: Record<string, string> = {}, imports?: string) =>
    runCli(['reconcile', '--legacy', legacy, '--new', next, '--date', TEST_DATE, '--format', 'json', '--rows', ...extra], {
      cwd: dir.path,
      env: { ...NO_OTEL_ENV, ...(imports ? { NODE_OPTIONS: `--import ${RECORD_IMPORTS}`, BOSCO_RECORD_IMPORTS: imports } : {}), ...env },
      timeoutMs: 30_000,
    });

  it('exports the run as nested spans carrying its run id, the difference counter, and ids that join the logs', async () => {
    const result = await reconcile(['--otel', receiver.url], { BOSCO_LOG_LEVEL: 'info' });
    expect(result.code, result.stderr).toBe(1);
    const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;

    expect(receiver.requests.every((r) => r.contentType === 'application/json')).toBe(true);
    const spans = receiver.spans();
    const root = spans.find((span) => span.name === 'bosco.reconcile');
    expect(root?.attributes).toMatchObject({ 'bosco.run_id': runId, 'bosco.date': TEST_DATE, 'bosco.client_id': '*' });
    expect(root?.resource).toMatchObject({ 'service.name': 'bosco', 'service.version': expect.any(String) });
    const children = spans.filter((span) => span.parentSpanId === root?.spanId);
    expect(children.map((span) => span.name)).toEqual(expect.arrayContaining(['bosco.source.stage', 'bosco.reconcile.compare', 'bosco.reconcile.differences']));
    expect(children.every((span) => span.traceId === root?.traceId)).toBe(true);

    expect(receiver.points().filter((point) => point.metric === 'bosco.reconcile.differences')).toEqual([
      { metric: 'bosco.reconcile.differences', attributes: { kind: 'value_mismatch' }, value: 1 },
    ]);

    const started = result.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'reconcile started');
    expect(started).toMatchObject({ run_id: runId, trace_id: root?.traceId, span_id: root?.spanId });
  });

  it('exports when the standard variables name a collector, without --otel', async () => {
    const result = await reconcile([], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bosco-nightly' });
    expect(result.code, result.stderr).toBe(1);
    const root = receiver.spans().find((span) => span.name === 'bosco.reconcile');
    expect(root?.resource['service.name']).toBe('bosco-nightly');
  });

  it('sends nothing when OTEL_SDK_DISABLED is true, even with --otel', async () => {
    const result = await reconcile(['--otel', receiver.url], { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(result.code, result.stderr).toBe(1);
    expect(receiver.requests).toEqual([]);
  });

  it('never loads the SDK without --otel, and loads it with', async () => {
    const without = join(dir.path, 'imports-without.txt');
    const withOtel = join(dir.path, 'imports-with.txt');
    writeFileSync(without, '');
    writeFileSync(withOtel, '');
    const plain = await reconcile([], {}, without);
    const exported = await reconcile(['--otel', receiver.url], {}, withOtel);
    expect([plain.code, exported.code]).toEqual([1, 1]);
    expect(plain.stderr).toBe('');

    const sdk = /\/@opentelemetry\/(sdk-|exporter-|resources\/)/;
    const loaded = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // The recording itself works: the run resolved the telemetry module, which a reconcile always loads.
    expect(loaded(without).some((url) => url.endsWith('/core/telemetry.ts'))).toBe(true);
    expect(loaded(without).filter((url) => sdk.test(url))).toEqual([]);
    expect(loaded(withOtel).some((url) => url.includes('/@opentelemetry/sdk-trace-base/'))).toBe(true);
    expect(receiver.requests).not.toEqual([]);
  });

  it('finishes in bounded time when the collector is down, and says so in the log', async () => {
    const started = Date.now();
    const result = await reconcile(['--otel', `http://127.0.0.1:${await deadPort()}`], { BOSCO_LOG_LEVEL: 'warn' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code, result.stderr).toBe(1);
    expect((JSON.parse(result.stdout) as { status: string }).status).toBe('fail');
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('refuses a value of --otel that is not a URL, such as a command name taken for one', async () => {
    const result = await runCli(['--otel', 'reconcile', '--date', TEST_DATE], { cwd: dir.path, env: NO_OTEL_ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected an http(s) URL');
  });
});

describe('OpenTelemetry export from a pipeline run', () => {
  const dir = makeTempDir('bosco-otel-pipeline-');
  const DATE = '2026-11-20';
  let sim: RunningSimulator;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    sim = await startSimulator();
    receiver = await startOtlpReceiver();
    const accounts = PLATFORMS.map((platform, i) => ({ platform, accountId: platform === 'shopify' ? 'shop1' : `100${i}` }));
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ workspace: '.bosco', clients: [{ id: 'client-1', currency: 'USD', accounts }] }));
    writeFileSync(join(dir.path, 'rates.csv'), simFxRatesCsv(DATE, DATE));
    const imported = await runCli(['fx', 'import', 'rates.csv'], { cwd: dir.path, env: NO_OTEL_ENV });
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterAll(async () => {
    await receiver.close();
    await sim.close();
    dir.cleanup();
  });

  it('exports a span per partition with run, client and platform, and counts calls, retries and loaded rows', async () => {
    const tokens = Object.fromEntries(PLATFORMS.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, sim.token]));
    const run = await runCli(['pipeline', 'run', '--date', DATE, '--base-url', sim.url, '--format', 'json', '--otel', receiver.url], {
      cwd: dir.path,
      env: { ...NO_OTEL_ENV, ...tokens },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const { partitions } = JSON.parse(run.stdout) as { partitions: Array<{ status: string; rows: number }> };

    const fetched = receiver.spans().filter((span) => span.name === 'bosco.fetch.partition');
    expect(fetched.map((span) => span.attributes['bosco.platform']).sort()).toEqual([...PLATFORMS].sort());
    expect(fetched.every((span) => span.attributes['bosco.client_id'] === 'client-1' && typeof span.attributes['bosco.run_id'] === 'string')).toBe(true);

    const total = (metric: string) => receiver.points().filter((point) => point.metric === metric).reduce((sum, point) => sum + point.value, 0);
    expect(total('bosco.fetch.calls')).toBeGreaterThanOrEqual(PLATFORMS.length);
    expect(receiver.points().some((point) => point.metric === 'bosco.fetch.retries')).toBe(true);
    expect(total('bosco.pipeline.rows_loaded')).toBe(partitions.filter((p) => p.status === 'loaded').reduce((sum, p) => sum + p.rows, 0));
    expect(total('bosco.pipeline.rows_loaded')).toBeGreaterThan(0);
  });
});
