import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnleashStageStore, type UnleashStageStoreOptions } from '../../flags/unleash/unleash-stage-store.js';
import { makeTempDir, REPO_ROOT, runCli } from '../helpers/cli.js';
import { stageStoreBehaviour } from './stage-store-behaviour.js';
import { startUnleashServer, type UnleashTestServer } from './unleash-server.js';

describe('the Unleash stage store, on a real Unleash server', () => {
  let server: UnleashTestServer;
  const dirs: Array<{ path: string; cleanup: () => void }> = [];
  const tempDir = () => {
    const dir = makeTempDir('bosco-unleash-');
    dirs.push(dir);
    return dir.path;
  };
  // Each test gets a flag of its own, so it starts with no stages.
  const settings = (overrides: Partial<UnleashStageStoreOptions> = {}): UnleashStageStoreOptions => ({
    url: server.url,
    clientToken: server.clientToken,
    adminToken: server.adminToken,
    tokenSources: { client: '$TEST_CLIENT_TOKEN', admin: '$TEST_ADMIN_TOKEN' },
    backupPath: join(tempDir(), 'unleash-backup.json'),
    flagName: `bosco-test-${randomBytes(4).toString('hex')}`,
    ...overrides,
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/admin${path}`, { method, headers: { authorization: server.adminToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.ok, await response.clone().text()).toBe(true);
  };

  beforeAll(async () => {
    server = await startUnleashServer();
  }, 60_000);
  afterAll(async () => {
    await server?.cleanup();
    dirs.forEach((d) => d.cleanup());
  });

  stageStoreBehaviour(async () => {
    const options = settings();
    return { store: await UnleashStageStore.open(options), reopen: () => UnleashStageStore.open(options) };
  });

  it('lets exactly one of several writers from the same version win', async () => {
    const options = settings();
    const stores = await Promise.all(Array.from({ length: 4 }, () => UnleashStageStore.open(options)));
    try {
      const first = await stores[0]!.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
      const outcomes = await Promise.allSettled(stores.map((store) => store.set({ clientId: 'acme', stage: 'live', expectedVersion: first.version })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['FLAG_CONFLICT', 'FLAG_CONFLICT', 'FLAG_CONFLICT']);
      const winner = (outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ version: string }>).value;
      const fresh = await UnleashStageStore.open(options);
      stores.push(fresh);
      expect(await fresh.get('acme')).toEqual({ clientId: 'acme', stage: 'live', version: winner.version });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('serves a cohort its stage, with a percentage of clients kept by client id, and a client\'s own stage over it', async () => {
    const clients = Array.from({ length: 20 }, (_, i) => ({ id: `client-${i}` }));
    const options = settings({ clients });
    const writer = await UnleashStageStore.open(options);
    const own = await writer.set({ clientId: 'client-0', stage: 'live', expectedVersion: undefined });
    await writer.close();
    // Half of the clients, bucketed by client id: a client stays in or out of the cohort on every read.
    await admin('POST', `/projects/default/features/${options.flagName}/environments/production/strategies`, {
      name: 'flexibleRollout',
      title: 'cohort: half of the clients to shadow',
      parameters: { rollout: '50', stickiness: 'clientId', groupId: options.flagName },
      variants: [{ name: 'shadow', weight: 1000, weightType: 'variable', stickiness: 'clientId' }],
    });
    // Unleash serves a change made behind the store's back within about a second.
    const cohortServed = async () => {
      const store = await UnleashStageStore.open(options);
      const listed = await store.list();
      await store.close();
      return listed.length;
    };
    await expect.poll(cohortServed, { timeout: 10_000, interval: 250 }).toBeGreaterThan(1);
    const first = await UnleashStageStore.open(options);
    const second = await UnleashStageStore.open(options);
    try {
      const listed = await first.list();
      expect(listed.find((r) => r.clientId === 'client-0')).toEqual(own);
      const cohort = listed.filter((r) => r.clientId !== 'client-0');
      expect(cohort.length).toBeGreaterThan(2);
      expect(cohort.length).toBeLessThan(17);
      expect(cohort.every((r) => r.stage === 'shadow' && r.version === 'cohort:shadow')).toBe(true);
      expect(await second.list()).toEqual(listed);
      const member = cohort[0]!;
      const moved = await first.set({ clientId: member.clientId, stage: 'live', expectedVersion: member.version });
      expect(moved.version).not.toMatch(/^cohort:/);
      const fresh = await UnleashStageStore.open(options);
      expect(await fresh.get(member.clientId)).toEqual(moved);
      await fresh.close();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("serves an agency's cohort its stage: every client of that agency, and no other", async () => {
    const clients = [
      { id: 'nw-1', agency: 'northwind' },
      { id: 'nw-2', agency: 'northwind' },
      { id: 'ct-1', agency: 'contoso' },
      { id: 'solo' },
    ];
    const options = settings({ clients });
    // The flag exists once a client has a stage of its own; the cohort strategy then goes after it.
    const writer = await UnleashStageStore.open(options);
    await writer.set({ clientId: 'solo', stage: 'shadow', expectedVersion: undefined });
    await writer.close();
    await admin('POST', `/projects/default/features/${options.flagName}/environments/production/strategies`, {
      name: 'flexibleRollout',
      title: 'cohort: northwind goes live',
      parameters: { rollout: '100', stickiness: 'clientId', groupId: options.flagName },
      constraints: [{ contextName: 'agencyId', operator: 'IN', values: ['northwind'] }],
      variants: [{ name: 'live', weight: 1000, weightType: 'variable', stickiness: 'clientId' }],
    });
    const listed = async () => {
      const store = await UnleashStageStore.open(options);
      const records = await store.list();
      await store.close();
      return records.map((r) => [r.clientId, r.stage, r.version.startsWith('cohort:') ? r.version : 'own']);
    };
    await expect
      .poll(listed, { timeout: 10_000, interval: 250 })
      .toEqual([
        ['nw-1', 'live', 'cohort:live'],
        ['nw-2', 'live', 'cohort:live'],
        ['solo', 'shadow', 'own'],
      ]);
  });

  it('refuses a client token Unleash does not accept, and writes nothing without an admin token', async () => {
    await expect(UnleashStageStore.open(settings({ clientToken: '*:production.not-a-token' }))).rejects.toMatchObject({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('$TEST_CLIENT_TOKEN') });
    const reader = await UnleashStageStore.open(settings({ adminToken: undefined }));
    try {
      await expect(reader.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined })).rejects.toMatchObject({ code: 'CREDENTIALS_MISSING', hint: expect.stringContaining('$TEST_ADMIN_TOKEN') });
    } finally {
      await reader.close();
    }
  });

  /**
   * Runs `body` with a `store` opened with `options` in a child process, then closes it. NODE_ENV=test (inherited
   * from vitest) keeps the SDK's polling timer referenced, so a timer left running would hold the process open.
   */
  const runStoreProcess = (options: UnleashStageStoreOptions, body: string, env: Record<string, string> = {}) => {
    const script = join(tempDir(), 'use-store.mts');
    writeFileSync(
      script,
      `import { UnleashStageStore } from ${JSON.stringify(join(REPO_ROOT, 'flags/unleash/unleash-stage-store.ts'))};
const store = await UnleashStageStore.open(JSON.parse(process.env.STORE_OPTIONS));
${body}
const closing = Date.now();
await store.close();
console.log('closed in ' + (Date.now() - closing) + ' ms');`,
    );
    return new Promise<{ code: number | null; out: string; closeMs: number; lingeredMs: number }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, env: { ...process.env, STORE_OPTIONS: JSON.stringify(options), ...env } });
      let out = '';
      let closedAt = 0;
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('closed') && !closedAt) closedAt = Date.now();
      });
      child.stderr.on('data', (chunk) => (out += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, closeMs: Number(/closed in (\d+) ms/.exec(out)?.[1] ?? Number.POSITIVE_INFINITY), lingeredMs: closedAt ? Date.now() - closedAt : Number.POSITIVE_INFINITY });
      });
    });
  };

  it('leaves no timer, socket or retry behind once closed: a process that used it exits by itself', async () => {
    const outcome = await runStoreProcess(settings(), `await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });\nawait store.list();`);
    expect(outcome, outcome.out).toMatchObject({ code: 0 });
    expect(outcome.closeMs).toBeLessThan(500);
    // The SDK polls every 15 s; exiting well within that means nothing was left scheduled.
    expect(outcome.lingeredMs).toBeLessThan(2_000);
  });

  it('serves the backup while Unleash hangs, and ends the fetch hung in flight on close', async () => {
    const options = settings();
    const writer = await UnleashStageStore.open(options);
    const written = await writer.set({ clientId: 'acme', stage: 'live', expectedVersion: undefined });
    await writer.close();
    // A store opened now fetches the written stage and keeps it in its backup.
    await (await UnleashStageStore.open(options)).close();
    const sockets = new Set<Socket>();
    const hung = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/api`;
      const outcome = await runStoreProcess({ ...options, url, readyTimeoutMs: 1_000 }, `console.log(JSON.stringify(await store.get('acme')));`);
      expect(outcome, outcome.out).toMatchObject({ code: 0 });
      expect(outcome.out).toContain(JSON.stringify(written));
      // The hung request and its two retries would each wait out a 10 s timeout; close ends them within the SDK's 3 s of retry backoff.
      expect(outcome.closeMs).toBeLessThan(5_000);
      expect(outcome.lingeredMs).toBeLessThan(2_000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('fails with SOURCE_UNREACHABLE when Unleash cannot be reached and no backup exists', async () => {
    const options = settings({ url: 'http://127.0.0.1:9/api', readyTimeoutMs: 5_000 });
    await expect(UnleashStageStore.open(options)).rejects.toMatchObject({ code: 'SOURCE_UNREACHABLE', exitCode: 3 });
  });

  // Last: it stops the server.
  it('shows a stage set with bosco flags to a fresh client, then serves it from the backup once Unleash is down', async () => {
    const dir = tempDir();
    const flagName = `bosco-test-${randomBytes(4).toString('hex')}`;
    const store = { kind: 'unleash', url: server.url, apiTokenEnv: 'BOSCO_TEST_UNLEASH_CLIENT_TOKEN', adminTokenEnv: 'BOSCO_TEST_UNLEASH_ADMIN_TOKEN', flagName };
    writeFileSync(join(dir, 'bosco.config.json'), JSON.stringify({ clients: [{ id: 'acme' }, { id: 'zeta' }], flags: { store } }));
    const env = { BOSCO_TEST_UNLEASH_CLIENT_TOKEN: server.clientToken, BOSCO_TEST_UNLEASH_ADMIN_TOKEN: server.adminToken };
    const bosco = (...args: string[]) => runCli(args, { cwd: dir, env, timeoutMs: 60_000 });
    const stageOf = async () => {
      const run = await bosco('flags', 'get', 'acme', '--format', 'json');
      expect(run, run.stderr).toMatchObject({ code: 0 });
      return JSON.parse(run.stdout) as { stage: string; version: string | null };
    };

    const set = await bosco('flags', 'set', 'acme', 'shadow', '--reason', 'starting the dual run', '--actor', 'test');
    expect(set, set.stderr).toMatchObject({ code: 0 });
    const served = await stageOf();
    expect(served).toMatchObject({ stage: 'shadow', version: expect.any(String) });
    expect(existsSync(join(dir, '.bosco', 'flags', 'unleash-backup.json'))).toBe(true);

    await server.stop();
    expect(await stageOf()).toEqual(served);
    // The store itself: the last stages, and no write while Unleash is away.
    const offline = await UnleashStageStore.open(settings({ flagName, backupPath: join(dir, '.bosco', 'flags', 'unleash-backup.json') }));
    try {
      expect(await offline.list()).toEqual([{ clientId: 'acme', stage: 'shadow', version: served.version }]);
      await expect(offline.set({ clientId: 'zeta', stage: 'shadow', expectedVersion: undefined })).rejects.toMatchObject({ code: 'SOURCE_UNREACHABLE' });
    } finally {
      await offline.close();
    }
  });
});
