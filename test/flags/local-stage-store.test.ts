import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { makeTempDir, REPO_ROOT } from '../helpers/cli.js';
import { stageStoreBehaviour } from './stage-store-behaviour.js';

describe('the local stage store', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterAll(() => dirs.forEach((d) => d.cleanup()));

  stageStoreBehaviour(async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const path = join(dir.path, 'flags', 'stages.json');
    return { store: new LocalStageStore(path), reopen: async () => new LocalStageStore(path) };
  });

  it('lets exactly one of many processes writing from the same version win', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const path = join(dir.path, 'stages.json');
    const first = await new LocalStageStore(path).set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    const script = join(dir.path, 'writer.mts');
    writeFileSync(script, `import { LocalStageStore } from ${JSON.stringify(join(REPO_ROOT, 'flags/local/local-stage-store.ts'))};
try { await new LocalStageStore(${JSON.stringify(path)}).set({ clientId: 'acme', stage: 'live', expectedVersion: ${JSON.stringify(first.version)} }); console.log('won'); }
catch (error) { console.log(error.code); }`);
    const run = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('close', () => resolve(out.trim()));
      });
    const outcomes = await Promise.all([run(), run(), run(), run()]);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'FLAG_CONFLICT')).toHaveLength(3);
    expect((await new LocalStageStore(path).get('acme'))?.version).toBe(String(Number(first.version) + 1));
  }, 30_000);
});
