import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveCommand, serveKeysAddCommand, serveKeysListCommand, serveKeysRevokeCommand } from '../../../cli/commands/serve.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import { hashKey } from '../../../serve/auth/keys.js';
import { runCli } from '../../helpers/cli.js';
import { configError } from '../../helpers/config.js';
import { legacyRow, writeLegacyRows } from '../helpers/api-fixture.js';

const METRICS = '/v1/clients/acme/metrics?from=2026-03-01&to=2026-03-30';

async function get(url: string, key?: string) {
  const response = await fetch(url, { headers: key ? { 'x-api-key': key } : {}, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, servedBy: response.headers.get('x-bosco-served-by'), body: (await response.json()) as any };
}

/** Polls until `check` passes: the server rereads its keys file at most once a second. */
async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('bosco serve and bosco serve keys', () => {
  let dir: string;
  let config: string;
  let output: string;
  const write = (text: string) => {
    output += text;
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosco-serve-cli-'));
    config = join(dir, 'bosco.config.json');
    writeFileSync(config, JSON.stringify({ workspace: '.', serve: { port: 0 }, clients: [{ id: 'acme', accounts: [{ platform: 'google_ads', accountId: 'acme-ads' }] }] }));
    output = '';
    const warehouse = await DuckDbWarehouse.open({ path: join(dir, 'warehouse.duckdb') });
    try {
      await writeLegacyRows(warehouse, [legacyRow({ client_id: 'acme', spend: 12.5 })]);
    } finally {
      await warehouse.close();
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a new key once, stores only its hash, and a running server accepts and then refuses it without a restart', async () => {
    await serveKeysAddCommand({ config, client: 'acme', format: 'json', write });
    const added = JSON.parse(output) as { id: string; key: string; keys_file: string };
    expect(added.key).toMatch(/^bosco_sk_[A-Za-z0-9_-]{43}$/);
    const file = readFileSync(added.keys_file, 'utf8');
    expect(file).not.toContain(added.key);
    expect(JSON.parse(file)).toEqual({ keys: [{ id: added.id, hash: hashKey(added.key), client: 'acme' }] });
    expect(statSync(added.keys_file).mode & 0o777).toBe(0o600);

    output = '';
    await serveCommand({
      config,
      write,
      until: async (url) => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const served = await get(`${url}${METRICS}`, added.key);
        expect(served).toMatchObject({ status: 200, servedBy: 'legacy', body: { rows: [expect.objectContaining({ spend: 12.5 })] } });

        let later = '';
        await serveKeysAddCommand({ config, client: 'acme', format: 'json', write: (text) => (later += text) });
        const second = JSON.parse(later) as { key: string };
        await eventually(async () => expect((await get(`${url}${METRICS}`, second.key)).status).toBe(200));

        await serveKeysRevokeCommand({ config, id: added.id, write: () => undefined });
        await eventually(async () => expect((await get(`${url}${METRICS}`, added.key)).status).toBe(401));
        expect((await get(`${url}${METRICS}`, second.key)).status).toBe(200);
      },
    });
    expect(output).toContain('bosco serve listening on http://127.0.0.1:');
    expect(output).toContain('1 API key (1 client, 0 admin)');
  });

  it('lends the workspace warehouse between requests: bosco flags moves a client while the server runs, and the server serves the new stage', async () => {
    await serveKeysAddCommand({ config, client: 'acme', format: 'json', write });
    const { key } = JSON.parse(output) as { key: string };
    const stageOf = async (url: string) => (await fetch(`${url}${METRICS}`, { headers: { 'x-api-key': key }, signal: AbortSignal.timeout(10_000) })).headers.get('x-bosco-stage');
    await serveCommand({
      config,
      write,
      until: async (url) => {
        expect(await stageOf(url)).toBe('legacy');
        const promoted = await runCli(['flags', 'promote', 'acme', '--reason', 'start the dual run', '--actor', 'support'], { cwd: dir, timeoutMs: 60_000 });
        expect(promoted.code, promoted.stderr).toBe(0);
        await eventually(async () => expect(await stageOf(url)).toBe('shadow'));
        const history = await runCli(['flags', 'history', 'acme', '--format', 'json'], { cwd: dir, timeoutMs: 60_000 });
        expect(JSON.parse(history.stdout).entries).toEqual([expect.objectContaining({ action: 'promote', from_stage: 'legacy', to_stage: 'shadow', actor: 'support' })]);
      },
    });
    expect(output).toContain('let go between them');
  });

  it('makes admin keys acting as a named person, and lists keys without their hashes', async () => {
    await serveKeysAddCommand({ config, admin: true, actor: 'ops@example.com', id: 'ops', write });
    expect(output).toMatch(/Added API key ops \(admin, acting as ops@example\.com\)/);
    expect(output.match(/bosco_sk_\S+/g)).toHaveLength(1);
    output = '';
    await serveKeysListCommand({ config, format: 'json', write });
    expect(JSON.parse(output)).toEqual({ keys: [{ id: 'ops', kind: 'admin', client: null, actor: 'ops@example.com', stored_in: join(dir, 'serve', 'keys.json') }] });
    expect(output).not.toContain('sha256');
  });

  it('refuses unclear key requests and bad listen options with a hint', async () => {
    await expect(serveKeysAddCommand({ config, write })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('give either --client <id> or --admin') });
    await expect(serveKeysAddCommand({ config, client: 'acme', admin: true, write })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(serveKeysAddCommand({ config, client: 'acme', actor: 'x', write })).rejects.toMatchObject({ code: 'USAGE' });
    await serveKeysAddCommand({ config, client: 'acme', id: 'dup', write });
    await expect(serveKeysAddCommand({ config, client: 'acme', id: 'dup', write })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining("'dup' already exists") });
    await expect(serveKeysRevokeCommand({ config, id: 'nope' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(serveCommand({ config, port: 'abc', write })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--port') });
    await expect(serveCommand({ config, port: 70000, write })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('refuses a key for a client the config does not list with one clear line and exit 2, storing nothing', async () => {
    await expect(serveKeysAddCommand({ config, client: 'no-such-client', write })).rejects.toMatchObject({ code: 'UNKNOWN_CLIENT', exitCode: 2 });
    const cli = await runCli(['--config', config, 'serve', 'keys', 'add', '--client', 'no-such-client'], { cwd: dir, timeoutMs: 30_000 });
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim().split('\n').map((line) => line.trim())).toEqual([expect.stringContaining("no client 'no-such-client' in"), expect.stringMatching(/^hint: give one of the configured clients: acme$/)]);
    expect(() => statSync(join(dir, 'serve', 'keys.json'))).toThrow();
  });

  it('rejects a config key that is both for a client and admin, or holds something other than a hash', () => {
    const hash = hashKey('k');
    expect(configError({ serve: { keys: [{ id: 'a', hash, client: 'acme', admin: true }] } }).message).toMatch(/serve\.keys\.0: a key has either "client" or "admin": true/);
    expect(configError({ serve: { keys: [{ id: 'a', hash: 'bosco_sk_plain', client: 'acme' }] } }).message).toMatch(/serve\.keys\.0\.hash: expected sha256:/);
    expect(configError({ serve: { port: 99999 } }).code).toBe('CONFIG_INVALID');
  });
});
