import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { LocalStageStore } from '../../../flags/local/local-stage-store.js';
import type { StageRecord, StageStore } from '../../../flags/types.js';
import { cachingStageView, invalidatingStore, type StageViewEvent } from '../../../serve/stage-view.js';

/** The real store, counting reads, optionally failing them or holding them until released. */
function instrumented(store: StageStore) {
  const state = { reads: 0, down: false, hold: undefined as Promise<void> | undefined };
  const wrapped: StageStore = {
    get: (clientId) => store.get(clientId),
    async list() {
      state.reads++;
      if (state.down) throw new BoscoError('SOURCE_UNREACHABLE', 'flag service down', { hint: 'test' });
      const records = await store.list();
      await state.hold;
      return records;
    },
    set: (change) => store.set(change),
    close: () => store.close(),
  };
  return { state, store: wrapped };
}

const stageOfAcme = (records: StageRecord[]) => records.find((r) => r.clientId === 'acme')?.stage;

describe('the serving stage view', () => {
  let dir: string;
  let real: LocalStageStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosco-stage-view-'));
    real = new LocalStageStore(join(dir, 'stages.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reuses one read of the store for cacheMs, then reads it again', async () => {
    const { state, store } = instrumented(real);
    let clock = 0;
    const view = cachingStageView(store, { cacheMs: 1000, now: () => clock });
    await view.list();
    clock = 999;
    await view.list();
    expect(state.reads).toBe(1);
    clock = 1000;
    await view.list();
    expect(state.reads).toBe(2);
  });

  it('serves a write made through its own store at once, cache or not', async () => {
    const view = cachingStageView(real, { cacheMs: 60_000 });
    const writes = invalidatingStore(real, view);
    expect(stageOfAcme((await view.list()).records)).toBeUndefined();
    await writes.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    expect(stageOfAcme((await view.list()).records)).toBe('shadow');
  });

  it('shares one read between requests arriving together', async () => {
    const { state, store } = instrumented(real);
    const view = cachingStageView(store, { cacheMs: 0 });
    await Promise.all(Array.from({ length: 5 }, () => view.list()));
    expect(state.reads).toBe(1);
  });

  it('does not keep a read that started before a write as the state after it', async () => {
    const { state, store } = instrumented(real);
    const view = cachingStageView(store, { cacheMs: 60_000 });
    const writes = invalidatingStore(store, view);
    let release!: () => void;
    state.hold = new Promise((resolve) => (release = resolve));
    const before = view.list();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await writes.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    state.hold = undefined;
    release();
    expect(stageOfAcme((await before).records)).toBeUndefined();
    expect(stageOfAcme((await view.list()).records)).toBe('shadow');
  });

  it('serves the last stages read, marked stale, while the store fails, and says so once', async () => {
    const { state, store } = instrumented(real);
    await real.set({ clientId: 'acme', stage: 'live', expectedVersion: undefined });
    const events: StageViewEvent[] = [];
    let clock = 0;
    const view = cachingStageView(store, { cacheMs: 100, now: () => clock, onEvent: (event) => events.push(event) });
    expect(await view.list()).toMatchObject({ stale: false });

    state.down = true;
    for (const at of [100, 150, 200, 300]) {
      clock = at;
      const { records, stale } = await view.list();
      expect(stale).toBe(true);
      expect(stageOfAcme(records)).toBe('live');
    }
    // Retried once per cacheMs, not on every request.
    expect(state.reads).toBe(4);
    expect(events.map((e) => e.type)).toEqual(['stale']);

    state.down = false;
    clock = 400;
    expect(await view.list()).toMatchObject({ stale: false });
    expect(events).toEqual([expect.objectContaining({ type: 'stale', lastSuccessAt: 0 }), { type: 'recovered', downForMs: 300 }]);
  });

  it("keeps a client's last stage, marked stale, when its record disappears from the store", async () => {
    await real.set({ clientId: 'acme', stage: 'live', expectedVersion: undefined });
    const events: StageViewEvent[] = [];
    const view = cachingStageView(real, { cacheMs: 0, onEvent: (event) => events.push(event) });
    expect(await view.list()).toMatchObject({ stale: false });
    rmSync(join(dir, 'stages.json'));
    for (let i = 0; i < 2; i++) {
      const { records, stale } = await view.list();
      expect(stale).toBe(true);
      expect(stageOfAcme(records)).toBe('live');
    }
    expect(events).toEqual([{ type: 'vanished', clientIds: ['acme'] }]);
    await real.set({ clientId: 'acme', stage: 'shadow', expectedVersion: undefined });
    expect(await view.list()).toMatchObject({ stale: false, records: [expect.objectContaining({ clientId: 'acme', stage: 'shadow' })] });
  });

  it('throws SOURCE_UNREACHABLE when the store fails before any stage was read', async () => {
    const { state, store } = instrumented(real);
    state.down = true;
    const events: StageViewEvent[] = [];
    const view = cachingStageView(store, { onEvent: (event) => events.push(event) });
    await expect(view.list()).rejects.toMatchObject({ code: 'SOURCE_UNREACHABLE' });
    await expect(view.list()).rejects.toMatchObject({ code: 'SOURCE_UNREACHABLE' });
    expect(events.map((e) => e.type)).toEqual(['unavailable']);
  });
});
