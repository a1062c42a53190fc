/**
 * CONTRACT test of the BigQuery warehouse. Google cannot be reached from here, so the adapter's real
 * `@google-cloud/bigquery` client is pointed (`apiEndpoint`) at a loopback fake of the BigQuery REST API v2 on
 * 127.0.0.1 (fake-bigquery.ts), authenticated by a fixed bearer token that never asks Google for anything; a
 * connection to anywhere but 127.0.0.1 is refused and fails the test. It checks the REST requests the adapter
 * sends (SQL text, typed positional parameters, the session, the partition replace as one MERGE, the transaction
 * statements, tables.insert with partitioning and clustering, a reconcile's warehouse sources staged as session temp
 * tables since BigQuery has no temp views, a whole reconcile recorded in the history) and how it decodes BigQuery's
 * row shapes, and runs the shared port behaviour through the fake, which refuses the DuckDB-only spellings BigQuery
 * refuses (`$1` placeholders, TIMESTAMPTZ, VARCHAR, aggregate FILTER, bare UNION, …). It proves the request contract, not BigQuery's SQL semantics,
 * quotas or costs: the fake runs the statements on DuckDB.
 */
import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { CANONICAL_COLUMNS } from '../../../core/metric-row.js';
import { BigQueryWarehouse } from '../../../core/warehouse/bigquery/bigquery-warehouse.js';
import { stageCanonicalSource } from '../../../legacy-adapter/canonical-source.js';
import { compareRelations } from '../../../reconcile/engine.js';
import { reconcile } from '../../../reconcile/reconcile.js';
import { buildToleranceTable, METRIC_ROW_COMPARISON } from '../../../reconcile/tolerance.js';
import { canonicalRow } from '../../helpers/pipeline-factories.js';
import { startFakeBigQuery, type FakeBigQuery, type RecordedRequest } from './fake-bigquery.js';
import { guardLoopback } from './loopback-guard.js';
import { ACME_META, METRICS_SPEC, METRICS_TABLE, metricRow, describeWarehouseBehaviour, type OpenedWarehouse } from './warehouse-behaviour.js';

const PROJECT = 'bosco-contract';
const DATASET = 'bosco_test';
const LOCATION = 'EU';
const TOKEN = 'contract-test-token';

/** An auth client that only ever answers with a fixed token: no key, no metadata server, no token endpoint. */
const fixedToken = { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${TOKEN}` }) } as unknown as BigQueryOptions['authClient'];

const guard = guardLoopback();
afterAll(() => guard.restore());

async function openOnFake(): Promise<OpenedWarehouse & { fake: FakeBigQuery; bigquery: BigQueryWarehouse }> {
  const fake = await startFakeBigQuery({ projectId: PROJECT, dataset: DATASET, location: LOCATION });
  const client = new BigQuery({ projectId: PROJECT, apiEndpoint: fake.endpoint, authClient: fixedToken, autoRetry: false });
  const bigquery = new BigQueryWarehouse({ projectId: PROJECT, dataset: DATASET, location: LOCATION, client });
  return {
    warehouse: bigquery,
    bigquery,
    fake,
    async close() {
      await bigquery.close();
      await fake.close();
      expect(fake.unexpected).toEqual([]);
      expect(guard.refused).toEqual([]);
    },
  };
}

describeWarehouseBehaviour('BigQuery (loopback contract)', openOnFake);

describe('the BigQuery warehouse (REST request contract)', () => {
  let opened: Awaited<ReturnType<typeof openOnFake>>;
  let w: BigQueryWarehouse;
  let fake: FakeBigQuery;

  beforeEach(async () => {
    opened = await openOnFake();
    ({ bigquery: w, fake } = opened);
  });
  afterEach(async () => opened.close());

  const statements = () => fake.requests.filter((r) => r.method === 'POST' && r.path === `/projects/${PROJECT}/queries`);
  const statementTexts = () => statements().map((r) => r.body.query as string);

  it('sends positional parameters typed in queryParameters, never in the SQL text', async () => {
    const sql = 'SELECT ? AS text, ? AS whole, ? AS fraction, ? AS flag, ? AS nothing, ? AS big';
    await w.query(sql, ["it's; DROP TABLE x", 42, 1.25, true, null, 2n ** 60n]);
    const [request] = statements();
    expect(request!.body).toMatchObject({
      query: sql,
      useLegacySql: false,
      location: LOCATION,
      defaultDataset: { projectId: PROJECT, datasetId: DATASET },
      formatOptions: { useInt64Timestamp: true },
    });
    expect(String(request!.body.parameterMode).toUpperCase()).toBe('POSITIONAL');
    expect(request!.body.queryParameters).toEqual([
      { parameterType: { type: 'STRING' }, parameterValue: { value: "it's; DROP TABLE x" } },
      { parameterType: { type: 'INT64' }, parameterValue: { value: '42' } },
      { parameterType: { type: 'FLOAT64' }, parameterValue: { value: '1.25' } },
      { parameterType: { type: 'BOOL' }, parameterValue: { value: true } },
      { parameterType: { type: 'STRING' }, parameterValue: { value: null } },
      { parameterType: { type: 'INT64' }, parameterValue: { value: '1152921504606846976' } },
    ]);
  });

  it('opens one session with the first statement, runs every statement in it and ends it on close', async () => {
    await w.run('SELECT 1');
    await w.query('SELECT ? AS n', [1]);
    const [open, ...rest] = fake.requests;
    expect(open).toMatchObject({ method: 'POST', path: `/projects/${PROJECT}/jobs` });
    expect(open!.body.configuration.query).toMatchObject({ query: 'SELECT 1', createSession: true });
    expect(open!.body.jobReference.location).toBe(LOCATION);
    const sessionIds = new Set(statements().map((r) => JSON.stringify(r.body.connectionProperties)));
    expect(sessionIds.size).toBe(1);
    expect(statements()[0]!.body.connectionProperties).toEqual([{ key: 'session_id', value: expect.stringMatching(/^session-/) }]);
    expect(rest.filter((r) => r.body?.createSession || r.body?.configuration?.query?.createSession)).toEqual([]);

    await w.close();
    expect(statementTexts().at(-1)).toBe('CALL BQ.ABORT_SESSION()');
    expect(JSON.stringify(statements().at(-1)!.body.connectionProperties)).toBe([...sessionIds][0]);
  });

  it('creates a table by tables.insert with its schema, daily partitioning on the date and clustering', async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.createTable('other_dataset.loads', { columns: [{ name: 'rows', type: 'integer' }] });
    const inserts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/tables'));
    expect(inserts.map((r) => r.path)).toEqual([
      `/projects/${PROJECT}/datasets/${DATASET}/tables`,
      `/projects/${PROJECT}/datasets/${DATASET}/tables`,
      `/projects/${PROJECT}/datasets/other_dataset/tables`,
    ]);
    expect(inserts[0]!.body).toEqual({
      tableReference: { projectId: PROJECT, datasetId: DATASET, tableId: METRICS_TABLE },
      schema: {
        fields: [
          { name: 'client_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'platform', type: 'STRING', mode: 'REQUIRED' },
          { name: 'date', type: 'DATE', mode: 'REQUIRED' },
          { name: 'campaign_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'spend', type: 'FLOAT64', mode: 'NULLABLE' },
          { name: 'impressions', type: 'INT64', mode: 'NULLABLE' },
          { name: 'loaded_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
        ],
      },
      timePartitioning: { type: 'DAY', field: 'date' },
      clustering: { fields: ['client_id', 'platform'] },
    });
    expect(inserts[2]!.body).not.toHaveProperty('timePartitioning');
    expect(inserts[2]!.body).not.toHaveProperty('clustering');
    // Table DDL is REST, not a statement, so it never runs inside a session's transaction.
    expect(statements()).toEqual([]);
  });

  it('refuses a partitioning BigQuery cannot do before sending anything', async () => {
    const before = fake.requests.length;
    const error = await w.createTable('bad', { ...METRICS_SPEC, partitionBy: 'client_id' }).catch((e: unknown) => e as BoscoError);
    expect(error).toBeInstanceOf(BoscoError);
    expect((error as BoscoError).code).toBe('WAREHOUSE_FAILED');
    expect(fake.requests.length).toBe(before);
  });

  it('replaces a partition with one MERGE statement whose rows and partition are typed parameters', async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
    const requestsBefore = fake.requests.length;
    await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow({ campaign_id: 'c2', loaded_at: '2026-11-23T06:00:00.5Z' }), metricRow({ spend: null })]);
    const during = fake.requests.slice(requestsBefore);

    expect(during).toHaveLength(1);
    const merge = during[0]!.body;
    const columns = METRICS_SPEC.columns.map((c) => `\`${c.name}\``);
    expect(merge.query).toBe(
      [
        `MERGE INTO \`${METRICS_TABLE}\` AS bosco_old`,
        'USING (SELECT * FROM UNNEST(?)) AS bosco_new',
        'ON FALSE',
        'WHEN NOT MATCHED BY SOURCE AND bosco_old.`client_id` = ? AND bosco_old.`platform` = ? AND bosco_old.`date` = ? THEN DELETE',
        `WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((c) => `bosco_new.${c}`).join(', ')})`,
      ].join('\n'),
    );
    expect(merge.query).not.toContain('acme');
    const [rows, ...keys] = merge.queryParameters as Array<{ parameterType: unknown; parameterValue: any }>;
    expect(rows!.parameterType).toEqual({
      type: 'ARRAY',
      arrayType: {
        type: 'STRUCT',
        structTypes: [
          { name: 'client_id', type: { type: 'STRING' } },
          { name: 'platform', type: { type: 'STRING' } },
          { name: 'date', type: { type: 'DATE' } },
          { name: 'campaign_id', type: { type: 'STRING' } },
          { name: 'spend', type: { type: 'FLOAT64' } },
          { name: 'impressions', type: { type: 'INT64' } },
          { name: 'loaded_at', type: { type: 'TIMESTAMP' } },
        ],
      },
    });
    const structs = rows!.parameterValue.arrayValues.map((item: { structValues: Record<string, { value: unknown }> }) =>
      Object.fromEntries(Object.entries(item.structValues).map(([name, v]) => [name, v.value])),
    );
    expect(structs).toEqual([
      { ...ACME_META, campaign_id: 'c2', spend: '12.5', impressions: '100', loaded_at: expect.stringMatching(/^2026-11-23T06:00:00\.50*Z$/) },
      { ...ACME_META, campaign_id: 'c1', spend: null, impressions: '100', loaded_at: expect.stringMatching(/^2026-11-23T06:00:00(\.0*)?Z$/) },
    ]);
    expect(keys).toEqual([
      { parameterType: { type: 'STRING' }, parameterValue: { value: 'acme' } },
      { parameterType: { type: 'STRING' }, parameterValue: { value: 'meta_ads' } },
      { parameterType: { type: 'DATE' }, parameterValue: { value: '2026-11-22' } },
    ]);
  });

  it("reads the table's columns once, by tables.get, to type a replace", async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
    await w.replacePartition(METRICS_TABLE, { ...ACME_META, platform: 'ga4' }, [metricRow({ platform: 'ga4' })]);
    const gets = fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/tables/'));
    expect(gets.map((r) => r.path)).toEqual([`/projects/${PROJECT}/datasets/${DATASET}/tables/${METRICS_TABLE}`]);
  });

  it('puts the select and its parameters before the partition in a replace from a select', async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    const select = `SELECT * FROM \`${METRICS_TABLE}\` WHERE spend > ?`;
    await w.replacePartition(METRICS_TABLE, ACME_META, { select, params: [0.5] });
    const merge = statements().at(-1)!.body;
    expect(merge.query).toContain(`USING (${select}) AS bosco_new`);
    expect(merge.queryParameters.map((p: { parameterType: { type: string }; parameterValue: { value: unknown } }) => [p.parameterType.type, p.parameterValue.value])).toEqual([
      ['FLOAT64', '0.5'],
      ['STRING', 'acme'],
      ['STRING', 'meta_ads'],
      ['DATE', '2026-11-22'],
    ]);
  });

  it('runs a transaction as BEGIN and COMMIT TRANSACTION in the session, and ROLLBACK TRANSACTION when it fails', async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.transaction(() => w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]));
    await w.transaction(() => w.replacePartition(METRICS_TABLE, ACME_META, [])).catch(() => undefined);
    await w
      .transaction(async () => {
        await w.run('SELECT 1');
        throw new Error('stop');
      })
      .catch(() => undefined);
    const kinds = statementTexts().map((sql) => sql.split(/\s/)[0] + (sql.includes('TRANSACTION') ? ' TRANSACTION' : ''));
    expect(kinds).toEqual(['BEGIN TRANSACTION', 'MERGE', 'COMMIT TRANSACTION', 'BEGIN TRANSACTION', 'MERGE', 'COMMIT TRANSACTION', 'BEGIN TRANSACTION', 'SELECT', 'ROLLBACK TRANSACTION']);
    expect(new Set(statements().map((r) => JSON.stringify(r.body.connectionProperties))).size).toBe(1);
  });

  it("decodes BigQuery's row shapes: INT64 and NUMERIC as text, DATE and TIMESTAMP wrapped", async () => {
    const [row] = await w.query(
      `SELECT ? AS small, ? AS big, CAST('12.50' AS NUMERIC) AS amount, CAST('12345678901234567890.123456789' AS NUMERIC(38, 9)) AS precise,
        CAST(? AS DATE) AS day, CAST(? AS TIMESTAMP) AS moment, ? AS ratio, ? AS flag, CAST(NULL AS DATE) AS missing`,
      [42, 9007199254740993n, '2026-11-22', '2026-11-23T06:00:00.123456Z', 0.1, false],
    );
    // What came over the wire: every scalar as text, the timestamp as int64 microseconds (asked for by the client).
    expect(statements()[0]!.response!.body.rows[0].f.map((c: { v: unknown }) => c.v)).toEqual([
      '42',
      '9007199254740993',
      '12.500',
      '12345678901234567890.123456789',
      '2026-11-22',
      '1795413600123456',
      '0.1',
      'false',
      null,
    ]);
    expect(statements()[0]!.response!.body.schema.fields.map((f: { type: string }) => f.type)).toEqual([
      'INTEGER', 'INTEGER', 'NUMERIC', 'NUMERIC', 'DATE', 'TIMESTAMP', 'FLOAT', 'BOOLEAN', 'DATE',
    ]);
    expect(row).toEqual({
      small: 42,
      big: '9007199254740993',
      amount: 12.5,
      precise: '12345678901234567890.123456789',
      day: '2026-11-22',
      moment: '2026-11-23T06:00:00.123456Z',
      ratio: 0.1,
      flag: false,
      missing: null,
    });
  });

  it('refuses file and database sources, and says so in externalKinds, without a request', async () => {
    expect([...w.externalKinds]).toEqual([]);
    const error = await w.stageExternal('staged', { kind: 'file', path: '/tmp/rows.csv', format: 'csv' }).catch((e: unknown) => e as BoscoError);
    expect((error as BoscoError).code).toBe('SOURCE_UNSUPPORTED');
    expect((error as BoscoError).hint).toContain('DuckDB');
    expect(fake.requests).toEqual([]);
  });

  it("reports a statement BigQuery rejects as a BoscoError carrying BigQuery's message", async () => {
    const error = await w.run('SELEC 1').catch((e: unknown) => e as BoscoError);
    expect(error).toBeInstanceOf(BoscoError);
    expect((error as BoscoError).code).toBe('WAREHOUSE_FAILED');
    expect((error as BoscoError).message).toContain('running SELEC 1');
    expect((error as BoscoError).message).toMatch(/syntax error/i);
  });

  it('stages warehouse sources for a reconcile as session temp tables, never a TEMP VIEW, and compares them', async () => {
    const columns = CANONICAL_COLUMNS.map(({ name, type }) => ({ name, type: ({ text: 'text', date: 'date', integer: 'integer', decimal: 'double' } as const)[type], required: false }));
    await w.createTable('legacy_export.metric_rows', { columns });
    await w.createTable('metric_rows', { columns });
    const row = canonicalRow({ client_id: 'acme', date: '2026-11-22' });
    await w.replacePartition('legacy_export.metric_rows', { client_id: 'acme' }, [{ ...row }, { ...row, client_id: 'acme', date: '2026-11-21' }]);
    await w.replacePartition('metric_rows', { client_id: 'acme' }, [{ ...row, spend: row.spend! + 5 }]);
    const before = statements().length;

    const common = { date: '2026-11-22', scratchDir: '/nonexistent' };
    const legacy = await stageCanonicalSource(w, { ...common, role: 'legacy', source: { uri: 'warehouse:legacy_export.metric_rows' } });
    const next = await stageCanonicalSource(w, { ...common, role: 'new', source: { uri: 'warehouse:metric_rows' } });
    const { clients } = await compareRelations(w, { legacy: legacy.relation, next: next.relation, spec: METRIC_ROW_COMPARISON, tolerances: buildToleranceTable(METRIC_ROW_COMPARISON.metrics) });

    const sent = statementTexts().slice(before);
    expect(sent.filter((sql) => /\bVIEW\b/i.test(sql))).toEqual([]);
    expect(sent.filter((sql) => /^CREATE OR REPLACE TEMP TABLE/.test(sql)).map((sql) => sql.split(' ').slice(0, 7).join(' '))).toEqual([
      'CREATE OR REPLACE TEMP TABLE bosco_raw_legacy AS',
      'CREATE OR REPLACE TEMP TABLE bosco_legacy AS',
      'CREATE OR REPLACE TEMP TABLE bosco_raw_new AS',
      'CREATE OR REPLACE TEMP TABLE bosco_new AS',
    ]);
    expect(new Set(statements().slice(before).map((r) => JSON.stringify(r.body.connectionProperties))).size).toBe(1);
    expect(clients).toMatchObject([{ client_id: 'acme', status: 'fail' }]);
  });

  it('refuses the DuckDB spellings BigQuery refuses: $n placeholders, TIMESTAMPTZ, FILTER, bare UNION', async () => {
    const refused = [
      ['SELECT $1 AS n', [1]],
      ["SELECT CAST('2026-11-22T06:00:00Z' AS TIMESTAMPTZ) AS t", []],
      ['SELECT CAST(1 AS VARCHAR) AS t', []],
      ['SELECT min(x) FILTER (WHERE x > 0) AS m FROM (SELECT 1 AS x) t', []],
      ['SELECT 1 AS x UNION SELECT 2', []],
    ] as const;
    for (const [sql, params] of refused) {
      const error = await w.query(sql, params).catch((e: unknown) => e as BoscoError);
      expect(error, sql).toBeInstanceOf(BoscoError);
      expect((error as BoscoError).code).toBe('WAREHOUSE_FAILED');
    }
    // Inside a string literal or a quoted name they are only text.
    expect(await w.query("SELECT 'costs $1 :: TIMESTAMPTZ' AS `union`")).toEqual([{ union: 'costs $1 :: TIMESTAMPTZ' }]);
    expect(await w.query('SELECT 1 AS x UNION DISTINCT SELECT 1')).toEqual([{ x: 1 }]);
  });

  it('runs a whole reconcile of two warehouse sources and records it in the history, in GoogleSQL only', async () => {
    // The legacy export holds every column as text (its metrics are parsed and checked); the new table is typed.
    const typed = CANONICAL_COLUMNS.map(({ name, type }) => ({ name, type: ({ text: 'text', date: 'date', integer: 'integer', decimal: 'double' } as const)[type] }));
    await w.createTable('legacy_export.metric_rows', { columns: CANONICAL_COLUMNS.map(({ name }) => ({ name, type: name === 'date' ? ('date' as const) : ('text' as const) })) });
    await w.createTable('metric_rows', { columns: typed, partitionBy: 'date', clusterBy: ['client_id'] });
    const day = '2026-11-22';
    const row = (overrides: Parameters<typeof canonicalRow>[0]) => canonicalRow({ date: day, ...overrides });
    const asText = (r: ReturnType<typeof canonicalRow>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'date' || v === null ? v : String(v)]));
    const legacyRows = [
      row({ client_id: 'acme', campaign_id: 'a1' }),
      row({ client_id: 'acme', campaign_id: 'a2', spend: 7.5 }),
      row({ client_id: 'birch', campaign_id: 'b1', spend: 10 }),
      row({ client_id: 'birch', campaign_id: 'b2' }),
      row({ client_id: 'birch', campaign_id: 'b1', date: '2026-11-21' }),
    ];
    const newRows = [
      row({ client_id: 'acme', campaign_id: 'a1' }),
      row({ client_id: 'acme', campaign_id: 'a2', spend: 7.5 }),
      row({ client_id: 'birch', campaign_id: 'b1', spend: 10.5 }),
      row({ client_id: 'birch', campaign_id: 'b3' }),
      row({ client_id: 'birch', campaign_id: 'b3' }),
    ];
    await w.replacePartition('legacy_export.metric_rows', { date: day }, legacyRows.filter((r) => r.date === day).map(asText));
    await w.replacePartition('legacy_export.metric_rows', { date: '2026-11-21' }, legacyRows.filter((r) => r.date !== day).map(asText));
    await w.replacePartition('metric_rows', { date: day }, newRows.map((r) => ({ ...r })));
    const before = fake.requests.length;

    const report = await reconcile(w, {
      date: day,
      legacy: { uri: 'warehouse:legacy_export.metric_rows' },
      next: { uri: 'warehouse:metric_rows' },
      tolerances: buildToleranceTable(METRIC_ROW_COMPARISON.metrics),
      differencesLimit: 100,
      scratchDir: '/nonexistent',
    });

    expect(report.status).toBe('fail');
    expect(report.clients.map((c) => [c.client_id, c.status, c.rows])).toEqual([
      ['acme', 'pass', { legacy: 2, new: 2, matched: 2, missing_in_new: 0, missing_in_legacy: 0, duplicate_keys: 0 }],
      ['birch', 'fail', { legacy: 2, new: 3, matched: 1, missing_in_new: 1, missing_in_legacy: 0, duplicate_keys: 1 }],
    ]);
    expect(report.clients[1]!.metrics.find((m) => m.metric === 'spend')).toMatchObject({ legacy_total: 22.34, new_total: 35.18, rows_mismatched: 1, status: 'fail' });
    expect(report.differences!.map((d) => [d.client_id, d.campaign_id, d.kind, d.metric, d.legacy, d.new])).toEqual([
      ['birch', 'b3', 'duplicate_key', null, 0, 2],
      ['birch', 'b2', 'missing_in_new', null, null, null],
      ['birch', 'b1', 'value_mismatch', 'spend', 10, 10.5],
    ]);

    const during = fake.requests.slice(before);
    // Every request succeeded, and none carried DuckDB's spellings (the fake refuses them, as BigQuery does).
    expect(during.filter((r) => r.response?.status !== 200).map((r) => r.response?.body)).toEqual([]);
    const sent = during.filter((r) => r.path === `/projects/${PROJECT}/queries`).map((r) => r.body.query as string);
    expect(sent.filter((sql) => /\$\d|TIMESTAMPTZ|VARCHAR|FILTER\s*\(|TEMP VIEW/i.test(sql))).toEqual([]);
    expect(sent.some((sql) => sql.includes('UNION DISTINCT'))).toBe(true);
    // The history tables are made by tables.insert, partitioned by the reconciled day.
    const created = during.filter((r) => r.method === 'POST' && r.path.endsWith('/tables')).map((r) => [r.body.tableReference.tableId, r.body.timePartitioning]);
    expect(created).toEqual([
      ['reconcile_runs', { type: 'DAY', field: 'date' }],
      ['reconcile_results', { type: 'DAY', field: 'date' }],
    ]);
    // The run and its results are written in one transaction.
    const writes = sent.filter((sql) => /^(BEGIN|COMMIT|ROLLBACK|MERGE)/.test(sql)).map((sql) => sql.split(/\s/).slice(0, 3).join(' '));
    expect(writes).toEqual(['BEGIN TRANSACTION', 'MERGE INTO `reconcile_runs`', 'MERGE INTO `reconcile_results`', 'COMMIT TRANSACTION']);

    const runs = await w.query('SELECT run_id, CAST(date AS STRING) AS date, status, legacy_source, new_source, clients_total, clients_failed, started_at, finished_at, JSON_VALUE(report, \'$.status\') AS report_status FROM reconcile_runs');
    expect(runs).toEqual([
      {
        run_id: report.run_id, date: day, status: 'fail', legacy_source: 'warehouse:legacy_export.metric_rows', new_source: 'warehouse:metric_rows',
        clients_total: 2, clients_failed: 1, started_at: expect.stringMatching(/^2\d{3}-.*Z$/), finished_at: expect.stringMatching(/^2\d{3}-.*Z$/), report_status: 'fail',
      },
    ]);
    const results = await w.query('SELECT client_id, metric, metric_status, rows_mismatched FROM reconcile_results WHERE run_id = ? ORDER BY client_id, metric', [report.run_id]);
    expect(results).toHaveLength(2 * METRIC_ROW_COMPARISON.metrics.length);
    expect(results.filter((r) => r.metric === 'spend')).toEqual([
      { client_id: 'acme', metric: 'spend', metric_status: 'pass', rows_mismatched: 0 },
      { client_id: 'birch', metric: 'spend', metric_status: 'fail', rows_mismatched: 1 },
    ]);
  });

  it('sends the bearer token on every request and makes none beyond 127.0.0.1', async () => {
    await w.createTable(METRICS_TABLE, METRICS_SPEC);
    await w.replacePartition(METRICS_TABLE, ACME_META, [metricRow()]);
    await w.describe(METRICS_TABLE);
    expect(fake.requests.length).toBeGreaterThan(3);
    expect(fake.requests.filter((r: RecordedRequest) => r.authorization !== `Bearer ${TOKEN}`)).toEqual([]);
    expect(guard.refused).toEqual([]);
  });
});

describe('the loopback guard of this contract test', () => {
  beforeAll(() => expect(guard.refused).toEqual([]));

  it('refuses a connection to anywhere but 127.0.0.1', async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing answers there even if the guard failed.
    await expect(fetch('http://192.0.2.1/', { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    expect(guard.refused).toEqual(['192.0.2.1:80']);
    guard.refused.length = 0;
  });
});
