import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBus } from '../../../core/bus/index.js';
import type { LoadedConfig } from '../../../core/config.js';
import { sharedWarehouse } from '../../../core/warehouse/access.js';
import { openWarehouse } from '../../../core/warehouse/index.js';
import { setStage } from '../../../flags/cutover.js';
import { openStageStore } from '../../../flags/index.js';
import type { CutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { gatherCutoverReport } from '../../../serve/dashboard/cutover-report.js';
import { buildServer, openServeDeps, type OpenedServeDeps } from '../../../serve/server.js';
import type { ServeDeps } from '../../../serve/types.js';
import { shadowEvidence } from '../../../shadow/gate-evidence.js';
import { makeTempDir } from '../../helpers/cli.js';
import { ADMIN_KEY, CLIENT_KEY, NOW, seedShadowDay, TODAY, workspaceWithKeys } from './factories.js';

/** A workspace where acme's gate to live is open, bravo's is closed, carol is live and dave legacy. */
async function seedWorkspace(loaded: LoadedConfig): Promise<void> {
  const warehouse = await openWarehouse(loaded);
  const store = await openStageStore(loaded);
  const bus = openBus(loaded);
  try {
    const context = { store, warehouse: sharedWarehouse(warehouse), bus, evidence: shadowEvidence(() => NOW), clients: loaded.config.clients, settings: loaded.config.flags, actor: 'setup', today: TODAY };
    for (const id of ['acme', 'bravo', 'carol']) await setStage(context, id, 'shadow', { reason: 'start the dual run' });
    await setStage(context, 'carol', 'live', { reason: 'pilot', force: true });
    for (const date of ['2026-11-20', '2026-11-21', '2026-11-22']) {
      for (const clientId of ['acme', 'carol']) await seedShadowDay(warehouse, { clientId, date });
      await seedShadowDay(warehouse, { clientId: 'bravo', date, failing: date === '2026-11-21' ? ['spend'] : [] });
    }
  } finally {
    await bus.close();
    await store.close();
    await warehouse.close();
  }
}

describe('the dashboard routes over HTTP', () => {
  const dir = makeTempDir();
  let opened: OpenedServeDeps;
  let deps: ServeDeps;
  let app: FastifyInstance;
  let base: string;

  const call = (method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  /** HTTP Basic auth as a browser sends it: any user name, the key as the password. */
  const basic = (key: string, user = 'jane') => ({ authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}` });
  const cutover = async () => (await (await call('GET', '/v1/cutover', { key: ADMIN_KEY })).json()) as CutoverReport;
  const client = (report: CutoverReport, id: string) => report.clients.find((c) => c.client_id === id)!;

  beforeAll(async () => {
    const loaded = await workspaceWithKeys(dir.path, {
      clients: ['acme', 'bravo', 'carol', 'dave'].map((id) => ({ id, accounts: [{ platform: 'shopify', accountId: `${id}-shop` }] })),
      flags: { gates: { live: { cleanDays: 2 } }, restatementDays: { shopify: 1 } },
    });
    await seedWorkspace(loaded);
    opened = await openServeDeps(loaded, { stageCacheMs: 60_000 });
    deps = { ...opened.deps, now: () => NOW };
    app = await buildServer(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
    dir.cleanup();
  });

  it('GET /v1/cutover returns the report the CLI and the page are built from', async () => {
    const { records } = await deps.stages.list();
    const direct = await deps.warehouse.use((warehouse) => gatherCutoverReport(warehouse, records, deps.loaded.config, TODAY, NOW));
    expect(await cutover()).toEqual(JSON.parse(JSON.stringify(direct)));
  });

  it('refuses GET /v1/cutover and GET /dashboard without an admin key, asking a browser for one', async () => {
    for (const path of ['/v1/cutover', '/dashboard']) {
      for (const headers of [{}, basic('bosco_sk_wrong'), basic(''), { authorization: 'Basic not-base64!' }]) {
        const response = await call('GET', path, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="bosco cutover", charset="UTF-8"');
        const body = await response.text();
        expect(JSON.parse(body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
        expect(body).not.toContain('acme');
      }
      for (const response of [await call('GET', path, { key: CLIENT_KEY }), await call('GET', path, { headers: basic(CLIENT_KEY) })]) {
        expect(response.status).toBe(403);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      }
    }
  });

  it('accepts the admin key as the password of HTTP Basic auth, whatever the user name, or as a header', async () => {
    for (const headers of [basic(ADMIN_KEY), basic(ADMIN_KEY, ''), { 'x-api-key': ADMIN_KEY }]) {
      expect((await call('GET', '/v1/cutover', { headers })).status).toBe(200);
    }
    const page = await call('GET', '/dashboard', { headers: basic(ADMIN_KEY, 'leadership') });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as <b id="signed-in-as">ops-alice</b>');
  });

  it('does not let another site use a browser’s Basic credentials to change a stage: only a JSON body is accepted', async () => {
    const before = (await cutover()).timeline_total;
    for (const [type, body] of [['text/plain', '{"reason":"csrf"}'], ['application/x-www-form-urlencoded', 'reason=csrf']] as const) {
      const response = await fetch(`${base}/v1/clients/acme/rollback`, { method: 'POST', headers: { ...basic(ADMIN_KEY), 'content-type': type }, body });
      expect(response.status, type).toBeGreaterThanOrEqual(400);
      expect(response.status, type).toBeLessThan(500);
    }
    const after = await cutover();
    expect([client(after, 'acme').stage, after.timeline_total]).toEqual(['shadow', before]);
  });

  it('GET /dashboard serves the page with a policy that loads nothing from elsewhere and cannot be framed', async () => {
    const response = await call('GET', '/dashboard', { key: ADMIN_KEY });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; .*frame-ancestors 'none'$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('data-stage-count="shadow"><span class="n">2</span>');
    expect(html).toContain('<form class="act" data-client="acme"');
    expect(html).not.toContain('<form id="login"');
  });

  it('tells an admin key who it acts as, and nobody else', async () => {
    expect(await (await call('GET', '/v1/cutover/whoami', { key: ADMIN_KEY })).json()).toEqual({ actor: 'ops-alice', key_id: 'ops' });
    expect((await call('GET', '/v1/cutover/whoami', { key: CLIENT_KEY })).status).toBe(403);
    expect((await call('GET', '/v1/cutover/whoami')).status).toBe(401);
  });

  it('refuses promote and rollback without an admin key, and changes nothing', async () => {
    for (const action of ['promote', 'rollback']) {
      const anonymous = await call('POST', `/v1/clients/acme/${action}`, { body: { reason: 'try' } });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      expect((await call('POST', `/v1/clients/acme/${action}`, { key: CLIENT_KEY, body: { reason: 'try' } })).status).toBe(403);
    }
    expect(client(await cutover(), 'acme').stage).toBe('shadow');
  });

  it('requires a reason, and names an unknown client', async () => {
    for (const body of [{}, { reason: '   ' }]) {
      const response = await call('POST', '/v1/clients/acme/rollback', { key: ADMIN_KEY, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/reason/) } });
    }
    expect((await call('POST', '/v1/clients/nobody/rollback', { key: ADMIN_KEY, body: { reason: 'x' } })).status).toBe(404);
  });

  it('refuses a promotion whose gate is closed, saying why, and records nothing', async () => {
    const before = (await cutover()).timeline_total;
    const response = await call('POST', '/v1/clients/bravo/promote', { key: ADMIN_KEY, body: { reason: 'ship it' } });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'GATE_CLOSED', message: expect.stringMatching(/shadow to live is closed for bravo: clean-streak: 0 of 2 .*spend failed/) } });
    const after = await cutover();
    expect([client(after, 'bravo').stage, after.timeline_total]).toEqual(['shadow', before]);
  });

  it('refuses a change made from a page showing a stage the client has since left, and records nothing', async () => {
    const before = (await cutover()).timeline_total;
    const response = await call('POST', '/v1/clients/carol/rollback', { key: ADMIN_KEY, body: { reason: 'stale page', expected_stage: 'shadow' } });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'FLAG_CONFLICT', message: expect.stringMatching(/carol.*now live, expected shadow/) } });
    const after = await cutover();
    expect([client(after, 'carol').stage, after.timeline_total]).toEqual(['live', before]);
  });

  it('promotes through an open gate and rolls back, recording the admin key’s actor and the reason', async () => {
    const promoted = await call('POST', '/v1/clients/acme/promote', { key: ADMIN_KEY, body: { reason: 'two clean days' } });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ outcome: { clientId: 'acme', action: 'promote', from: 'shadow', to: 'live', applied: true, entry: { actor: 'ops-alice', reason: 'two clean days' } } });
    const rolledBack = await call('POST', '/v1/clients/carol/rollback', { key: ADMIN_KEY, body: { reason: 'spend looks off' } });
    expect(rolledBack.status).toBe(200);
    // The server's own writes are served at once, even with a long stage cache.
    const report = await cutover();
    expect([client(report, 'acme').stage, client(report, 'carol').stage]).toEqual(['live', 'shadow']);
    expect(report.timeline.slice(0, 2)).toMatchObject([
      { client_id: 'carol', action: 'rollback', from_stage: 'live', to_stage: 'shadow', actor: 'ops-alice', reason: 'spend looks off' },
      { client_id: 'acme', action: 'promote', from_stage: 'shadow', to_stage: 'live', actor: 'ops-alice', reason: 'two clean days' },
    ]);
  });
});
