import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedConfig } from '../config.js';
import { isBoscoError } from '../errors.js';
import { getLogger } from '../logger.js';
import { openWarehouse, type Warehouse } from './index.js';

/** How a shadow run reaches the warehouse: one flow of statements at a time, whichever process it runs in. */
export interface WarehouseAccess {
  use<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs the work it is given one piece at a time, in the order given; a failure does not stop the pieces after it. */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return (work) => {
    const turn = queue.then(work);
    queue = turn.catch(() => undefined);
    return turn;
  };
}

/** One open warehouse shared by the clients of one process, handed to one of them at a time. */
export function sharedWarehouse(warehouse: Warehouse): WarehouseAccess {
  const inTurn = oneAtATime();
  return {
    use: (work) => inTurn(() => work(warehouse)),
    close: () => warehouse.close(),
  };
}

/**
 * Opens the warehouse, waiting up to `waitMs` while another process holds it (an embedded DuckDB file admits one
 * process at a time: a busy `bosco serve` lends it between requests); says once, in the log, that it waits and for
 * what. After that, WORKSPACE_LOCKED as from `openWarehouse`.
 */
export async function openWarehouseWaiting(loaded: LoadedConfig, waitMs = 30_000): Promise<Warehouse> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await openWarehouse(loaded);
    } catch (error) {
      if (!isBoscoError(error) || error.code !== 'WORKSPACE_LOCKED' || Date.now() > deadline) throw error;
      if (attempt === 0) {
        getLogger().warn({ warehouse: loaded.warehousePath, wait_s: Math.round((deadline - Date.now()) / 1000) }, 'the workspace warehouse is in use by another bosco process (bosco serve lends it between requests): waiting for it');
      }
      await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
}

/**
 * Opens the warehouse for each use and closes it after, waiting while another process holds it: how several
 * worker processes share an embedded DuckDB file (which one process at a time may open). A warehouse server
 * (BigQuery) would simply be opened by every worker.
 */
export function warehousePerUse(loaded: LoadedConfig, options: { waitMs?: number } = {}): WarehouseAccess {
  const waitMs = options.waitMs ?? 120_000;
  return {
    async use<T>(work: (w: Warehouse) => Promise<T>): Promise<T> {
      const warehouse = await openWarehouseWaiting(loaded, waitMs);
      try {
        return await work(warehouse);
      } finally {
        await warehouse.close();
      }
    },
    close: async () => undefined,
  };
}

/**
 * Keeps the warehouse open while uses keep coming and closes it once `idleMs` pass without one, one use at a time:
 * how a long-running process (`bosco serve`) shares an embedded DuckDB file with short commands (`bosco flags`),
 * which get it in the gaps. A use that finds the file taken waits for it up to `waitMs`, then fails with
 * WORKSPACE_LOCKED.
 */
export function warehouseWhileBusy(loaded: LoadedConfig, options: { idleMs?: number; waitMs?: number } = {}): WarehouseAccess {
  const idleMs = options.idleMs ?? 1_000;
  const waitMs = options.waitMs ?? 10_000;
  let open: Warehouse | undefined;
  let idle: NodeJS.Timeout | undefined;
  const inTurn = oneAtATime();
  const release = async () => {
    const closing = open;
    open = undefined;
    await closing?.close();
  };
  return {
    use<T>(work: (w: Warehouse) => Promise<T>): Promise<T> {
      clearTimeout(idle);
      return inTurn(async () => {
        open ??= await openWarehouseWaiting(loaded, waitMs);
        try {
          return await work(open);
        } finally {
          clearTimeout(idle);
          idle = setTimeout(() => void inTurn(release), idleMs).unref();
        }
      });
    },
    async close() {
      clearTimeout(idle);
      await inTurn(release);
    },
  };
}
