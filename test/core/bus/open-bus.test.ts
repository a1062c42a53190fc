import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openBus } from '../../../core/bus/index.js';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { PubSubBus } from '../../../core/bus/pubsub/pubsub-bus.js';
import { parseConfig } from '../../../core/config.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/cli.js';
import { guardLoopback } from '../warehouse/loopback-guard.js';
import { startFakePubSub, type FakePubSub } from './fake-pubsub.js';

const guard = guardLoopback();
afterAll(() => guard.restore());

describe('the bus section of the config', () => {
  it('defaults to the local event log', () => {
    expect(parseConfig({}, 'test').bus).toEqual({ kind: 'local' });
  });

  it('reads a Pub/Sub bus with the default prefix', () => {
    expect(parseConfig({ bus: { kind: 'pubsub', projectId: 'acme-prod', credential: { env: 'PUBSUB_KEY' } } }, 'test').bus).toEqual({
      kind: 'pubsub',
      projectId: 'acme-prod',
      topicPrefix: 'bosco-',
      credential: { env: 'PUBSUB_KEY' },
    });
  });

  it('names the field that is wrong', () => {
    expect(() => parseConfig({ bus: { kind: 'pubsub' } }, 'bosco.config.json')).toThrow(/bus\.projectId/);
    expect(() => parseConfig({ bus: { kind: 'kafka' } }, 'bosco.config.json')).toThrow(/bus\.kind/);
    expect(() => parseConfig({ bus: { kind: 'pubsub', projectId: 'p', topicPrefix: 'goog-' } }, 'bosco.config.json')).toThrow(/goog/);
  });
});

describe('openBus', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    expect(guard.refused).toEqual([]);
  });

  function workspace(): string {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    return dir.path;
  }

  async function fakePubSub(): Promise<FakePubSub> {
    const fake = await startFakePubSub();
    cleanups.push(() => fake.close());
    return fake;
  }

  it("opens the workspace's local event log without a config, and as configured", async () => {
    const workspaceDir = workspace();
    const bus = openBus({ workspaceDir });
    expect(bus).toBeInstanceOf(LocalEventLog);
    await bus.publish('t', 'e', { n: 1 });
    expect(await new LocalEventLog(join(workspaceDir, 'events')).read('t')).toHaveLength(1);
    expect(openBus({ workspaceDir, config: parseConfig({ bus: { kind: 'local' } }, 'test'), file: undefined })).toBeInstanceOf(LocalEventLog);
  });

  it('opens Pub/Sub at the configured apiEndpoint', async () => {
    const fake = await fakePubSub();
    const bus = openBus({ workspaceDir: workspace(), config: parseConfig({ bus: { kind: 'pubsub', projectId: 'p', apiEndpoint: fake.endpoint } }, 'test'), file: undefined }, {});
    cleanups.push(() => bus.close());
    expect(bus).toBeInstanceOf(PubSubBus);
    await bus.publish('jobs', 'job', {});
    expect(fake.calls.find((call) => call.method === 'Publish')?.request.topic).toBe('projects/p/topics/bosco-jobs');
  });

  it('honours PUBSUB_EMULATOR_HOST when no apiEndpoint is configured, and then needs no credentials', async () => {
    const fake = await fakePubSub();
    const config = parseConfig({ bus: { kind: 'pubsub', projectId: 'p', credential: { env: 'UNSET_PUBSUB_KEY' } } }, 'test');
    const bus = openBus({ workspaceDir: workspace(), config, file: undefined }, { PUBSUB_EMULATOR_HOST: fake.endpoint });
    cleanups.push(() => bus.close());
    await bus.publish('jobs', 'job', {});
    expect(fake.calls.some((call) => call.method === 'Publish')).toBe(true);
  });

  it('fails at open, naming the variable, when the credential it names is not set', () => {
    const config = parseConfig({ bus: { kind: 'pubsub', projectId: 'p', credential: { env: 'UNSET_PUBSUB_KEY' } } }, 'test');
    expect(() => openBus({ workspaceDir: workspace(), config, file: undefined }, {})).toThrow(expect.objectContaining({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('UNSET_PUBSUB_KEY') }));
  });

  it('never loads the Pub/Sub client for a local bus, nor until a Pub/Sub bus is used', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { openBus } = await import('./core/bus/index.ts');
      const { parseConfig } = await import('./core/config.ts');
      const cache = createRequire(process.cwd() + '/').cache;
      const loaded = () => Object.keys(cache).some((path) => /@google-cloud[\\\\/]pubsub/.test(path));
      const local = openBus({ workspaceDir: process.argv[1] });
      await local.publish('t', 'e', {});
      await local.consume('t', 's', async () => {}, { idleTimeoutMs: 0 });
      openBus({ workspaceDir: process.argv[1], config: parseConfig({ bus: { kind: 'pubsub', projectId: 'p' } }, 'x') }, {});
      const before = loaded();
      await import('@google-cloud/pubsub');
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, workspace()], {
      cwd: REPO_ROOT,
      env: { ...process.env, BOSCO_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    // `after` shows the check can see the client once it is loaded.
    expect(JSON.parse(result.stdout)).toEqual({ before: false, after: true });
  });
});
