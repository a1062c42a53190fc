import { afterEach, beforeEach, expect, it } from 'vitest';
import type { StageStore } from '../../flags/types.js';

/**
 * What every stage store must do, run against each one (the local file, a real Unleash server). `open` gives a
 * store with no stages; `reopen` the same store as a fresh process would see it.
 */
export function stageStoreBehaviour(open: () => Promise<{ store: StageStore; reopen: () => Promise<StageStore> }>): void {
  let store: StageStore;
  let reopen: () => Promise<StageStore>;
  const opened: StageStore[] = [];
  beforeEach(async () => {
    ({ store, reopen } = await open());
    opened.push(store);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('knows no stage for a client never set', async () => {
    expect(await store.get('acme')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('returns the stage it was set to, with a version', async () => {
    const written = await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    expect(written).toMatchObject({ clientId: 'acme', stage: 'shadow' });
    expect(await store.get('acme')).toEqual(written);
  });

  it('changes the version on every write', async () => {
    const first = await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    const second = await store.set({ clientId: 'acme', stage: 'live', expectedVersion: first.version });
    expect(second.version).not.toBe(first.version);
    expect((await store.get('acme'))?.stage).toBe('live');
  });

  it('refuses a write naming a version that is no longer current, and changes nothing', async () => {
    const first = await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    await store.set({ clientId: 'acme', stage: 'live', expectedVersion: first.version });
    await expect(store.set({ clientId: 'acme', stage: 'legacy', expectedVersion: first.version })).rejects.toMatchObject({ code: 'FLAG_CONFLICT' });
    await expect(store.set({ clientId: 'acme', stage: 'legacy', expectedVersion: undefined })).rejects.toMatchObject({ code: 'FLAG_CONFLICT' });
    expect((await store.get('acme'))?.stage).toBe('live');
  });

  it('lists every client by id, and keeps clients apart', async () => {
    await store.set({ clientId: 'zeta', stage: 'shadow', expectedVersion: undefined });
    await store.set({ clientId: 'acme', stage: 'live', expectedVersion: undefined });
    expect((await store.list()).map((r) => [r.clientId, r.stage])).toEqual([['acme', 'live'], ['zeta', 'shadow']]);
  });

  it('is seen the same by a store opened afresh', async () => {
    const written = await store.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    const fresh = await reopen();
    opened.push(fresh);
    expect(await fresh.get('acme')).toEqual(written);
  });
}
