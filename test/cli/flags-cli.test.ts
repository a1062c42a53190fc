import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/cli.js';

/** `bosco flags` as support staff use it: every change needs a reason, lands in the audit log, and never races. */
describe('bosco flags', () => {
  const dir = makeTempDir();
  const cli = (...args: string[]) => runCli(args, { cwd: dir.path, env: { BOSCO_ACTOR: 'support-test' } });
  beforeAll(() => {
    const clients = ['acme', 'bolt', 'cove'].map((id) => ({ id, accounts: [{ platform: 'google_ads', accountId: '1' }] }));
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ clients }));
  });
  afterAll(() => dir.cleanup());

  it('lets exactly one of two operators promoting the same client from the stage they saw win; the audit log has one entry', async () => {
    // Both saw acme in legacy; whichever lands second is refused, however the two processes interleave.
    const promoteFromLegacy = (reason: string) => cli('flags', 'promote', 'acme', '--expect', 'legacy', '--reason', reason);
    const [a, b] = await Promise.all([promoteFromLegacy('start shadow'), promoteFromLegacy('start shadow too')]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect([a, b].find((r) => r.code === 1)!.stderr).toMatch(/^bosco: client 'acme' changed since it was read/);
    const history = JSON.parse((await cli('flags', 'history', 'acme', '--format', 'json')).stdout);
    expect(history.entries).toHaveLength(1);
    expect(history.entries[0]).toMatchObject({ action: 'promote', from_stage: 'legacy', to_stage: 'shadow', actor: 'support-test' });
    expect((await cli('flags', 'get', 'acme')).stdout).toBe('acme: shadow\n');
  }, 90_000);

  it('keeps a closed gate closed unless forced, and records the override', async () => {
    const dry = await cli('flags', 'promote', 'acme', '--reason', 'try', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/FAIL clean-streak: 0 of 7/);
    expect(dry.stdout).toMatch(/dry run: the gate is closed; nothing would change/);
    expect((await cli('flags', 'promote', 'acme', '--reason', 'no evidence')).code).toBe(1);
    expect((await cli('flags', 'get', 'acme')).stdout).toBe('acme: shadow\n');
    const forced = await cli('flags', 'promote', 'acme', '--reason', 'pilot client, signed off', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/done: override \(gate overridden/);
    const rolled = await cli('flags', 'rollback', 'acme', '--reason', 'revenue gap');
    expect(rolled.stdout).toMatch(/acme: live → shadow/);
    const actions = JSON.parse((await cli('flags', 'history', 'acme', '--format', 'json')).stdout).entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['promote', 'override', 'rollback']);
  }, 90_000);

  it.each([
    [['flags', 'set', 'bolt', 'live', '--reason', 'skip'], /legacy → live skips a stage/],
    [['flags', 'set', 'bolt', 'done', '--reason', 'x'], /unknown stage 'done'/],
    [['flags', 'history', 'nobody'], /client 'nobody' is not in the config and has no recorded changes/],
    [['flags', 'promote', 'nobody', '--reason', 'x'], /client 'nobody' is not in the config/],
    [['flags', 'promote', 'bolt', '--reason', '  '], /a reason is required/],
    [['flags', 'rollback', 'cove', '--reason', 'x'], /client 'cove' is legacy, which has no stage to roll back to/],
    [['accept', '--client', 'bolt', '--metric', 'roas', '--from', '2026-11-01', '--to', '2026-11-02', '--reason', 'x', '--expires', '2099-01-01'], /unknown metric 'roas'/],
  ])('refuses %j with one clear line, exit 2, and changes nothing', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(message);
    expect((await cli('flags', 'get', 'bolt')).stdout).toBe('bolt: legacy\n');
  }, 60_000);

  it('refuses a change without --reason before anything is read', async () => {
    const result = await cli('flags', 'promote', 'bolt');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--reason/);
  });
});
