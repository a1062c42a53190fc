import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config.js';
import { openStageStore } from '../../flags/index.js';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { makeTempDir } from '../helpers/cli.js';

const unleashStore = { kind: 'unleash', url: 'http://127.0.0.1:9/api', apiTokenEnv: 'BOSCO_TEST_NO_SUCH_TOKEN', adminTokenEnv: 'BOSCO_TEST_NO_SUCH_ADMIN_TOKEN' };

describe('choosing the stage store by config', () => {
  it('opens the local store when the config names none', async () => {
    const dir = makeTempDir();
    try {
      const store = await openStageStore({ config: parseConfig({}, 'test'), workspaceDir: dir.path });
      expect(store).toBeInstanceOf(LocalStageStore);
      await store.close();
    } finally {
      dir.cleanup();
    }
  });

  it('refuses an Unleash store without its client token, naming the variable', async () => {
    const config = parseConfig({ flags: { store: unleashStore } }, 'test');
    await expect(openStageStore({ config, workspaceDir: '/nonexistent' })).rejects.toMatchObject({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('$BOSCO_TEST_NO_SUCH_TOKEN') });
  });

  it('rejects an Unleash store whose token variable is not a variable name, or whose url is not a URL', () => {
    expect(() => parseConfig({ flags: { store: { ...unleashStore, apiTokenEnv: 'not a name' } } }, 'test')).toThrow(/flags\.store\.apiTokenEnv/);
    expect(() => parseConfig({ flags: { store: { ...unleashStore, url: 'unleash' } } }, 'test')).toThrow(/flags\.store\.url/);
  });
});
