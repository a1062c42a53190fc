import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/cli.js';

const client = { id: 'acme', accounts: [{ platform: 'meta_ads', accountId: '123' }, { platform: 'shopify', accountId: 'acmeshop' }] };

describe('bosco config check', () => {
  let dir: ReturnType<typeof makeTempDir>;
  const check = (config: unknown, env: Record<string, string> = {}) => {
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify(config));
    return runCli(['config', 'check', '--format', 'json'], { cwd: dir.path, env });
  };
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('passes a config whose credentials are all there, without ever printing one', async () => {
    const result = await check({ clients: [client] }, { BOSCO_META_ADS_TOKEN: 'sekret-meta', BOSCO_SHOPIFY_TOKEN: 'sekret-shop' });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ clients: 1, accounts: 2, bus: 'local', flag_store: 'local', warnings: [] });
    expect(result.stdout + result.stderr).not.toContain('sekret');
  });

  it('warns, exit 1, about what will fail at run time: a missing credential, missing Unleash tokens, a dataset outside the EU', async () => {
    const result = await check(
      {
        clients: [client],
        warehouse: { kind: 'bigquery', projectId: 'bosco-prod', dataset: 'bosco' },
        flags: { store: { kind: 'unleash', url: 'http://127.0.0.1:4242/api', apiTokenEnv: 'UNLEASH_CLIENT_TOKEN', adminTokenEnv: 'UNLEASH_ADMIN_TOKEN' } },
      },
      { BOSCO_SHOPIFY_TOKEN: 'sekret-shop' },
    );
    expect(result.code, result.stderr).toBe(1);
    const { warnings } = JSON.parse(result.stdout) as { warnings: Array<{ field: string; message: string }> };
    expect(warnings.map((w) => w.field)).toEqual(['platforms.meta_ads.credential', 'flags.store.apiTokenEnv', 'flags.store.adminTokenEnv', 'warehouse.location']);
    expect(warnings[0]!.message).toContain('BOSCO_META_ADS_TOKEN is not set');
    expect(warnings[3]!.message).toContain('outside the EU');
  });

  it('refuses an invalid config with one line naming the field, exit 2', async () => {
    const result = await check({ clients: [{ id: 'acme', accounts: [{ platform: 'myspace', accountId: '1' }] }] });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(/clients\.0\.accounts\.0\.platform/);
  });
});
