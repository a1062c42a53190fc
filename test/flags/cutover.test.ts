import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { parseConfig } from '../../core/config.js';
import { addDays } from '../../core/dates.js';
import { sharedWarehouse } from '../../core/warehouse/access.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { AUDIT_TABLE, auditHistory } from '../../flags/audit.js';
import { FLAGS_TOPIC, setStage, type CutoverContext } from '../../flags/cutover.js';
import type { DayEvidence } from '../../flags/gate.js';
import { LocalStageStore } from '../../flags/local/local-stage-store.js';
import { makeTempDir } from '../helpers/cli.js';

const TODAY = '2026-11-30';

/** `n` clean, on-time days ending yesterday. */
const cleanDays = (n: number): DayEvidence[] => Array.from({ length: n }, (_, i) => ({ date: addDays(TODAY, i - n), reconcile: 'pass', failing: [], sla: 'met' }));

/** The cutover service over a real DuckDB file, stage file and event log, with the gate's evidence given. */
describe('the cutover service', () => {
  const open: Array<{ close: () => Promise<void>; cleanup: () => void }> = [];
  afterEach(async () => {
    for (const { close, cleanup } of open.splice(0)) {
      await close();
      cleanup();
    }
  });

  async function cutover(days: DayEvidence[]) {
    const dir = makeTempDir();
    const warehouse = sharedWarehouse(await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') }));
    const bus = new LocalEventLog(join(dir.path, 'events'));
    const store = new LocalStageStore(join(dir.path, 'stages.json'));
    open.push({ close: async () => (await bus.close(), await warehouse.close()), cleanup: dir.cleanup });
    const config = parseConfig({ clients: [{ id: 'acme', accounts: [{ platform: 'shopify', accountId: 'shop-1' }] }] }, 'test');
    const context: CutoverContext = {
      store,
      warehouse,
      bus,
      evidence: { gather: async () => ({ days, openQualityFailures: [] }) },
      clients: config.clients,
      settings: config.flags,
      actor: 'test-operator',
      today: TODAY,
    };
    return { context, store, bus, warehouse };
  }

  it('treats setting the next stage as a promotion: a closed gate refuses it, and --force records an override', async () => {
    const { context, store } = await cutover([]);
    await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    const refused = await setStage(context, 'acme', 'live', { reason: 'looks fine' });
    expect(refused).toMatchObject({ action: 'override', applied: false, from: 'shadow', to: 'live' });
    expect((await store.get('acme'))?.stage).toBe('shadow');
    const forced = await setStage(context, 'acme', 'live', { reason: 'pilot, signed off', force: true });
    expect(forced).toMatchObject({ action: 'override', applied: true, entry: { evidence: { gate: expect.arrayContaining([expect.objectContaining({ name: 'clean-streak', pass: false })]) } } });
    expect((await store.get('acme'))?.stage).toBe('live');
  });

  it('treats setting the next stage through an open gate as a promotion, and the previous one as a rollback', async () => {
    const { context, store, warehouse } = await cutover(cleanDays(20));
    await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    expect(await setStage(context, 'acme', 'live', { reason: 'seven clean days' })).toMatchObject({ action: 'promote', applied: true });
    expect(await setStage(context, 'acme', 'shadow', { reason: 'revenue gap' })).toMatchObject({ action: 'rollback', applied: true });
    const actions = await warehouse.use((w) => auditHistory(w, 'acme'));
    expect(actions.map((e) => [e.action, e.from_stage, e.to_stage])).toEqual([
      ['promote', 'shadow', 'live'],
      ['rollback', 'live', 'shadow'],
    ]);
  });

  it('puts the stage back and announces nothing when the audit entry cannot be written', async () => {
    const { context, store, bus, warehouse } = await cutover([]);
    await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    // An audit table of another shape: it exists, so the append is the step that fails.
    await warehouse.use((w) => w.run(`CREATE TABLE ${AUDIT_TABLE} (entry_id TEXT, unexpected TEXT)`));
    await expect(setStage(context, 'acme', 'legacy', { reason: 'client paused' })).rejects.toThrow();
    expect((await store.get('acme'))?.stage).toBe('shadow');
    expect(await bus.read(FLAGS_TOPIC)).toEqual([]);
  });
});
