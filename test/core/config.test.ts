import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { makeTempDir } from '../helpers/cli.js';
import { configError } from '../helpers/config.js';


describe('config', () => {
  const dirs: Array<() => void> = [];
  afterEach(() => dirs.splice(0).forEach((cleanup) => cleanup()));

  it('applies the embedded defaults with no config file', async () => {
    const dir = makeTempDir();
    dirs.push(dir.cleanup);
    const loaded = await loadConfig({ cwd: dir.path });
    expect(loaded.file).toBeUndefined();
    expect(loaded.warehousePath).toBe(join(dir.path, '.bosco', 'warehouse.duckdb'));
    expect(loaded.config.reportingTimeZone).toBe('UTC');
  });

  it('names the field and the fix for a wrong type', () => {
    const error = configError({ reconcile: { tolerances: { spend: { abs: 'a cent' } } } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('reconcile.tolerances.spend.abs');
    expect(error.hint).toContain('bosco.config.json');
  });

  it('names an unknown field', () => {
    expect(configError({ sourcez: {} }).message).toContain("unknown field 'sourcez'");
  });

  it('rejects an unknown time zone', () => {
    expect(configError({ reportingTimeZone: 'Mars/Olympus' }).message).toContain('reportingTimeZone');
  });

  it('loads a TypeScript config that exports a default object', async () => {
    const dir = makeTempDir();
    dirs.push(dir.cleanup);
    writeFileSync(join(dir.path, 'bosco.config.ts'), "export default { reportingTimeZone: 'Europe/Berlin', workspace: 'state' };\n");
    const loaded = await loadConfig({ cwd: dir.path });
    expect(loaded.config.reportingTimeZone).toBe('Europe/Berlin');
    expect(loaded.workspaceDir).toBe(join(dir.path, 'state'));
  });

  it('says so when the file is not JSON', async () => {
    const dir = makeTempDir();
    dirs.push(dir.cleanup);
    writeFileSync(join(dir.path, 'bosco.config.json'), '{ "workspace": ".bosco", }');
    await expect(loadConfig({ cwd: dir.path })).rejects.toThrow(/not valid JSON/);
  });
});
