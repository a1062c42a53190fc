import { BoscoError } from '../core/errors.js';
import type { StageChange, StageRecord, StageStore } from '../flags/types.js';
import type { StageView } from './types.js';

/** What the view tells its owner about the store, once per change of state (not once per request). */
export type StageViewEvent =
  | { type: 'stale'; error: unknown; lastSuccessAt: number }
  | { type: 'unavailable'; error: unknown }
  | { type: 'vanished'; clientIds: string[] }
  | { type: 'recovered'; downForMs: number };

export interface StageViewOptions {
  /** How long one read of the store is reused, in ms; 0 reads it on every call. Default 1000. */
  cacheMs?: number;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
  onEvent?: (event: StageViewEvent) => void;
}

export interface CachingStageView extends StageView {
  /** Forgets the cached read, so the next `list` sees a write made in this process at once. */
  invalidate(): void;
}

/**
 * The stages as the serving path reads them. A read is reused for `cacheMs` at most, so a flag change made anywhere
 * is served within that time without a restart. When the store fails, the last stages read are served, marked
 * stale, and the store is tried again after `cacheMs`: a live client stays live through a flag-service outage
 * rather than falling back to legacy, the default for a client with no stage. For the same reason a client whose
 * record disappears from the store (a store never deletes one: a rollback writes the earlier stage) keeps its last
 * stage, marked stale, until a restart. Before any read has succeeded there is nothing safe to serve, and `list`
 * throws SOURCE_UNREACHABLE.
 */
export function cachingStageView(store: StageStore, options: StageViewOptions = {}): CachingStageView {
  const cacheMs = options.cacheMs ?? 1000;
  const now = options.now ?? Date.now;
  let last: { records: StageRecord[]; at: number } | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let failingSince: number | undefined;
  let carrying = false;
  let inFlight: Promise<{ records: StageRecord[]; stale: boolean }> | undefined;
  // Bumped by `invalidate`: a read started before a write must not be cached as if it came after it.
  let generation = 0;

  const read = async (): Promise<{ records: StageRecord[]; stale: boolean }> => {
    const startedAt = now();
    const readGeneration = generation;
    try {
      const fetched = await store.list();
      const missing = last?.records.filter((known) => !fetched.some((r) => r.clientId === known.clientId)) ?? [];
      const records = [...fetched, ...missing];
      if (readGeneration !== generation) return { records, stale: missing.length > 0 };
      if (failingSince !== undefined) options.onEvent?.({ type: 'recovered', downForMs: startedAt - failingSince });
      if (missing.length > 0 && !carrying) options.onEvent?.({ type: 'vanished', clientIds: missing.map((r) => r.clientId) });
      failingSince = undefined;
      carrying = missing.length > 0;
      last = { records, at: startedAt };
      checkedAt = startedAt;
      return { records, stale: carrying };
    } catch (error) {
      const firstFailure = failingSince === undefined;
      failingSince ??= startedAt;
      if (!last) {
        if (firstFailure) options.onEvent?.({ type: 'unavailable', error });
        throw new BoscoError('SOURCE_UNREACHABLE', 'the flag store cannot be read and no stage has been read since the server started', {
          hint: 'retry shortly; the operator should check the flag store (bosco flags list)',
          cause: error,
        });
      }
      if (firstFailure) options.onEvent?.({ type: 'stale', error, lastSuccessAt: last.at });
      checkedAt = startedAt;
      return { records: last.records, stale: true };
    }
  };

  return {
    async list() {
      if (last && now() - checkedAt < cacheMs) return { records: last.records, stale: carrying || failingSince !== undefined };
      // Requests arriving while the store is being read share that read.
      if (!inFlight) {
        const reading = read().finally(() => {
          if (inFlight === reading) inFlight = undefined;
        });
        inFlight = reading;
      }
      return inFlight;
    },
    invalidate() {
      generation++;
      checkedAt = Number.NEGATIVE_INFINITY;
      inFlight = undefined;
    },
  };
}

/** `store`, with every successful write also clearing `view`'s cache: what a process writes, it serves at once. */
export function invalidatingStore(store: StageStore, view: CachingStageView): StageStore {
  return {
    get: (clientId) => store.get(clientId),
    list: () => store.list(),
    async set(change: StageChange) {
      const record = await store.set(change);
      view.invalidate();
      return record;
    },
    close: () => store.close(),
  };
}
