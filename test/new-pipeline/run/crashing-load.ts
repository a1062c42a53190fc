/**
 * A load that dies, run as a child process by pipeline-e2e.test.ts: loads a day's staged partitions client by client
 * (each its own transaction, as `bosco pipeline load --client` does), and kills itself with SIGKILL inside the
 * transaction of client number `crashAt`, once that client's rows and lineage are written and before its commit.
 * Prints `committed <client>` after each client whose load returned. Arguments: workspace dir, day, clients as JSON,
 * crashAt.
 */
import { join } from 'node:path';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { parseConfig, type ClientConfig } from '../../../core/config.js';
import { DuckDbWarehouse } from '../../../core/warehouse/duckdb/duckdb-warehouse.js';
import type { SqlValue } from '../../../core/warehouse/index.js';
import { SERVING_TABLES } from '../../../new-pipeline/load/pipeline-tables.js';
import { loadDay } from '../../../new-pipeline/run/run-pipeline.js';

const [workspaceDir = '', date = '', clientsJson = '[]', crashAtText = '0'] = process.argv.slice(2);
const clients = JSON.parse(clientsJson) as ClientConfig[];
const crashAt = Number(crashAtText);

const real = await DuckDbWarehouse.open({ path: join(workspaceDir, 'warehouse.duckdb') });
let armed = false;
// The quality results are the last statement of a load's transaction: the replaced rows and the lineage before it
// have reached the engine (uncommitted) by then.
const warehouse = new Proxy(real, {
  get(target, property) {
    if (property === 'run') {
      return async (sql: string, params?: readonly SqlValue[]) => {
        if (armed && sql.startsWith(`INSERT INTO ${SERVING_TABLES.quality} `)) {
          process.kill(process.pid, 'SIGKILL');
          await new Promise(() => undefined);
        }
        return target.run(sql, params);
      };
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

const context = { config: parseConfig({ clients }, 'crashing-load'), workspaceDir, warehouse, bus: new LocalEventLog(join(workspaceDir, 'events')), tables: SERVING_TABLES, runId: 'crashed-run' };
for (const [i, client] of clients.entries()) {
  armed = i === crashAt;
  await loadDay(context, date, { clients: [client.id] });
  process.stdout.write(`committed ${client.id}\n`);
}
