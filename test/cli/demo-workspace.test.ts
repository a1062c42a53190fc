import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/cli.js';

/** A new user's first steps in any order: following the reconcile's hint to the demo must work. */
describe('bosco demo in a workspace an earlier command left behind', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('takes over a workspace holding only a warehouse without tables', async () => {
    const first = await runCli(['reconcile', '--date', 'yesterday'], { cwd: dir.path });
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/hint: run `bosco demo`/);
    const demo = await runCli(['demo', '--days', '1'], { cwd: dir.path, timeoutMs: 180_000 });
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/clients differ beyond tolerance|clients match/);
  }, 240_000);
});
