import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { makeTempDir, runCli } from '../helpers/cli.js';
import { PG_SERVER, TEST_DATE, historyCounts, jsonLine, metricRow, writeCsv, writeDuckDbTable } from '../helpers/factories.js';

/**
 * Every bad input ends the same way: exit 2 (3 when a source cannot be reached), one `bosco:` line that names
 * what is wrong, one `hint:` line, no stack trace, and nothing written to the run history.
 */
describe('bosco reconcile on bad input', () => {
  const dir = makeTempDir();
  const path = (name: string) => join(dir.path, name);
  let legacy: string;
  let next: string;

  beforeAll(async () => {
    legacy = writeCsv(path('legacy.csv'), [metricRow(), metricRow({ client_id: 'bolt' })]);
    next = writeCsv(path('next.csv'), [metricRow(), metricRow({ client_id: 'bolt' })]);
    const ok = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', legacy, '--new', next, '--format', 'json'], { cwd: dir.path });
    expect(ok.code).toBe(0);
    expect(await historyCounts(dir.path)).toEqual({ runs: 1, results: 10 });
  });
  afterAll(() => dir.cleanup());

  interface Rejection {
    /** Expected exit code; default 2. */
    code?: number;
    /** Text the one-line message must contain (the file, column, value or field at fault). */
    mentions: string[];
    env?: Record<string, string>;
    /** Leave --legacy/--new out, so the sources come from the config. */
    configSources?: boolean;
  }

  /** Runs `reconcile` with `args` (default sources unless overridden) and checks the failure contract. */
  async function expectRejected(args: string[], { code = 2, mentions, env, configSources }: Rejection): Promise<string> {
    const defaults = ['--date', TEST_DATE, '--format', 'json', ...(configSources ? [] : ['--legacy', legacy, '--new', next])];
    const overridden = new Set(args.filter((arg) => arg.startsWith('--')));
    const merged = [...defaults.flatMap((arg, i) => (i % 2 === 0 && !overridden.has(arg) ? [arg, defaults[i + 1]!] : [])), ...args];
    const result = await runCli(['reconcile', ...merged], { cwd: dir.path, env });
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^bosco: /);
    expect(lines[1]).toMatch(/^ {2}hint: \S/);
    for (const text of mentions) expect(lines[0]).toContain(text);
    expect(result.code).toBe(code);
    expect(await historyCounts(dir.path)).toEqual({ runs: 1, results: 10 });
    return result.stderr;
  }

  describe('sources', () => {
    it('names a source file that does not exist', async () => {
      await expectRejected(['--legacy', 'missing.csv'], { mentions: ['missing.csv', 'does not exist'] });
    });

    it('refuses a file kind it cannot read and lists the kinds it can', async () => {
      writeFileSync(path('legacy.txt'), readFileSync(legacy));
      const stderr = await expectRejected(['--legacy', path('legacy.txt')], { mentions: ['legacy.txt', '.txt'] });
      expect(stderr).toContain('.csv/.parquet/.jsonl/.ndjson');
    });

    it('names a missing key column and the columns the file has', async () => {
      const file = writeCsv(path('no-campaign.csv'), [metricRow()], ['client_id', 'date', 'platform', 'account_id', 'currency', 'spend', 'impressions', 'clicks', 'conversions', 'revenue']);
      const stderr = await expectRejected(['--new', file], { mentions: ['no-campaign.csv', "missing column 'campaign_id'"] });
      expect(stderr).toContain('the source has client_id, date, platform');
    });

    it('names the column and a sample of a metric value that is not a number', async () => {
      const file = writeCsv(path('bad-spend.csv'), [metricRow(), metricRow({ client_id: 'bolt', spend: '12,50 €' })]);
      await expectRejected(['--new', file], { mentions: ['bad-spend.csv', "column 'spend'", '12,50 €', 'not a number'] });
    });

    it('names the column and a sample of a date value that is not YYYY-MM-DD', async () => {
      const file = writeCsv(path('bad-date.csv'), [metricRow(), metricRow({ date: '03/01/2026' })]);
      await expectRejected(['--legacy', file], { mentions: ['bad-date.csv', "column 'date'", '03/01/2026'] });
    });

    it('refuses a truncated JSONL file', async () => {
      const lines = [metricRow(), metricRow({ client_id: 'bolt' })].map(jsonLine);
      writeFileSync(path('truncated.jsonl'), `${lines[0]}\n${lines[1]!.slice(0, 40)}`);
      await expectRejected(['--new', path('truncated.jsonl')], { mentions: ['truncated.jsonl', 'not a readable jsonl file'] });
    });
  });

  describe('options', () => {
    it.each(['2026-02-30', 'tomorrow'])('refuses --date %s', async (date) => {
      await expectRejected(['--date', date], { mentions: [`--date '${date}' is not a date`] });
    });

    it('says clearly that an unknown --client has no rows', async () => {
      await expectRejected(['--client', 'nobody'], { mentions: ["client 'nobody' has no rows on 2026-03-01"] });
    });

    it('treats an SQL-looking --client as a plain id: no rows, and the legacy table is untouched', async () => {
      const file = path('legacy.duckdb');
      await writeDuckDbTable(file, 'legacy', [metricRow(), metricRow({ client_id: 'bolt' })]);
      const id = "x'; drop table legacy; --";
      await expectRejected(['--legacy', `duckdb:${file}?table=legacy`, '--client', id], { mentions: [`client '${id}' has no rows`] });
      const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
      try {
        await warehouse.run(`ATTACH '${file}' AS source (READ_ONLY)`);
        expect(await warehouse.query('SELECT count(*) AS n FROM source.legacy')).toEqual([{ n: 2 }]);
      } finally {
        await warehouse.close();
      }
    });

    it('names an unknown --metric and lists the known ones', async () => {
      const stderr = await expectRejected(['--metric', 'spend,roas'], { mentions: ["unknown metric 'roas'"] });
      expect(stderr).toContain('spend, impressions, clicks, conversions, revenue');
    });

    it('names an unknown --legacy-mapping', async () => {
      const stderr = await expectRejected(['--legacy-mapping', 'old_export'], { mentions: ["mapping 'old_export'", '--legacy-mapping'] });
      expect(stderr).toContain('bosco_legacy_v1');
    });
  });

  describe('config', () => {
    const config = (name: string, text: string) => {
      writeFileSync(path(name), text);
      return path(name);
    };

    it('names a config file that is not valid JSON', async () => {
      const file = config('trailing-comma.json', '{ "reconcile": { "limit": 5, } }');
      await expectRejected(['--config', file], { mentions: ['trailing-comma.json', 'not valid JSON'] });
    });

    it('names the path of an unknown config field', async () => {
      const file = config('typo.json', JSON.stringify({ reconcile: { limt: 5 } }));
      await expectRejected(['--config', file], { mentions: ['typo.json', "reconcile: unknown field 'limt'"] });
    });

    it('names the path of a config field of the wrong type', async () => {
      const file = config('wrong-type.json', JSON.stringify({ reconcile: { clients: { acme: { tolerances: { spend: { abs: '0.05' } } } } } }));
      await expectRejected(['--config', file], { mentions: ['wrong-type.json', 'reconcile.clients.acme.tolerances.spend.abs', 'expected number'] });
    });

    it('names a mapping that sources.legacy uses but no one defined', async () => {
      const file = config('unknown-mapping.json', JSON.stringify({ sources: { legacy: { uri: legacy, mapping: 'old_export' }, new: next } }));
      await expectRejected(['--config', file], { configSources: true, mentions: ["mapping 'old_export'", 'sources.legacy'] });
    });
  });

  describe('PostgreSQL', () => {
    it('exits 3 when the server cannot be reached', async () => {
      await expectRejected(['--legacy', 'postgres://postgres@127.0.0.1:1/legacy?table=public.daily'], { code: 3, mentions: ['cannot connect to PostgreSQL', '127.0.0.1:1'] });
    });

    it('exits 2 when the table does not exist', async () => {
      await expectRejected(['--legacy', `${PG_SERVER}/postgres?table=public.bosco_no_such_table`], { mentions: ['table public.bosco_no_such_table does not exist'] });
    });

    it.each([
      ['an unreachable server', 'postgres://reader:Sup3r-Secret@127.0.0.1:1/legacy?table=public.daily', 3],
      ['a missing table', 'postgres://postgres:Sup3r-Secret@127.0.0.1:5432/postgres?table=public.bosco_no_such_table', 2],
      ['a mistyped port', 'postgres://reader:Sup3r-Secret@127.0.0.1:54x32/legacy?table=public.daily', 2],
    ])('never prints the password in the URI, on %s, even with info logs', async (_, uri, code) => {
      const result = await runCli(['reconcile', '--date', TEST_DATE, '--legacy', uri, '--new', next, '--format', 'json'], { cwd: dir.path, env: { BOSCO_LOG_LEVEL: 'info' } });
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(/^bosco: .*:\*\*\*@/m);
      expect(result.stdout + result.stderr).not.toContain('Sup3r-Secret');
    });
  });
});
