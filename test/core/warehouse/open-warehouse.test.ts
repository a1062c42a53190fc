import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, parseConfig } from '../../../core/config.js';
import { BoscoError } from '../../../core/errors.js';
import { openWarehouse } from '../../../core/warehouse/index.js';
import { makeTempDir } from '../../helpers/cli.js';
import { guardLoopback } from './loopback-guard.js';
import { configError } from '../../helpers/config.js';

const guard = guardLoopback();
afterAll(() => guard.restore());


describe('choosing the warehouse by config', () => {
  const dirs: Array<() => void> = [];
  afterEach(() => {
    dirs.splice(0).forEach((cleanup) => cleanup());
    vi.unstubAllEnvs();
    expect(guard.refused).toEqual([]);
  });

  async function loaded(warehouse: unknown) {
    const dir = makeTempDir();
    dirs.push(dir.cleanup);
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ warehouse }));
    return loadConfig({ cwd: dir.path });
  }

  async function openError(warehouse: unknown): Promise<BoscoError> {
    const opened = await openWarehouse(await loaded(warehouse)).catch((error: unknown) => error as BoscoError);
    if (!(opened instanceof BoscoError)) throw new Error('expected the warehouse not to open');
    return opened;
  }

  const bigquery = { kind: 'bigquery', projectId: 'bosco-prod', dataset: 'bosco', location: 'EU', apiEndpoint: 'http://127.0.0.1:9' };

  it('keeps DuckDB the default, with or without a kind', () => {
    expect(parseConfig({}, 'x').warehouse).toEqual({ kind: 'duckdb', memoryLimit: '1GB' });
    expect(parseConfig({ warehouse: { memoryLimit: '2GB' } }, 'x').warehouse).toEqual({ kind: 'duckdb', memoryLimit: '2GB' });
  });

  it('opens BigQuery when the config says so, without a request until the first statement', async () => {
    const warehouse = await openWarehouse(await loaded(bigquery));
    expect(warehouse.dialect.name).toBe('bigquery');
    expect([...warehouse.externalKinds]).toEqual([]);
    await warehouse.close();
  });

  it('names the missing field of a BigQuery warehouse, and an unknown kind', () => {
    expect(configError({ warehouse: { kind: 'bigquery', dataset: 'bosco' } }).message).toContain('warehouse.projectId');
    expect(configError({ warehouse: { kind: 'snowflake' } }).message).toContain('warehouse.kind');
    expect(configError({ warehouse: { ...bigquery, memoryLimit: '1GB' } }).message).toContain("unknown field 'memoryLimit'");
  });

  it('refuses a BigQuery key that is not where the config says, naming where to put it', async () => {
    const fromEnv = await openError({ ...bigquery, credential: { env: 'BOSCO_TEST_BIGQUERY_KEY' } });
    expect(fromEnv).toMatchObject({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('BOSCO_TEST_BIGQUERY_KEY') });

    vi.stubEnv('BOSCO_TEST_BIGQUERY_KEY', 'not json');
    const garbled = await openError({ ...bigquery, credential: { env: 'BOSCO_TEST_BIGQUERY_KEY' } });
    expect(garbled).toMatchObject({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('does not hold a JSON key') });
    expect(garbled.message).not.toContain('not json');

    const fromFile = await openError({ ...bigquery, credential: { file: 'keys/bigquery.json' } });
    expect(fromFile).toMatchObject({ code: 'CREDENTIALS_MISSING', hint: expect.stringContaining('warehouse.credential.file') });
  });
});
