import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedConfig } from '../config.js';
import { isBoscoError } from '../errors.js';
import { openWarehouse, type Warehouse } from './index.js';

/** How a shadow run reaches the warehouse: one flow of statements at a time, whichever process it runs in. */
export interface WarehouseAccess {
  use<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One open warehouse shared by the clients of one process, handed to one of them at a time. */
export function sharedWarehouse(warehouse: Warehouse): WarehouseAccess {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    use<T>(work: (w: Warehouse) => Promise<T>): Promise<T> {
      const turn = queue.then(() => work(warehouse));
      queue = turn.catch(() => undefined);
      return turn;
    },
    close: () => warehouse.close(),
  };
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
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        let warehouse: Warehouse;
        try {
          warehouse = await openWarehouse(loaded);
        } catch (error) {
          if (!isBoscoError(error) || error.code !== 'WORKSPACE_LOCKED' || Date.now() > deadline) throw error;
          await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
          continue;
        }
        try {
          return await work(warehouse);
        } finally {
          await warehouse.close();
        }
      }
    },
    close: async () => undefined,
  };
}
