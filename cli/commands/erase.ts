import { userInfo } from 'node:os';
import Table from 'cli-table3';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import { openWarehouseWaiting, warehousePerUse } from '../../core/warehouse/access.js';
import { ERASURE_TOPIC, eraseClient, type ErasureReport } from '../../shadow/client-erasure.js';
import { eraseOrders, type OrderErasureReport } from '../../shadow/order-erasure.js';
import { newRunId } from '../../reconcile/reconcile.js';

export interface EraseOptions {
  config?: string;
  client: string;
  /** Shopify order ids (`gid://shopify/Order/<digits>`): erase these orders of the client, not the whole client. */
  order?: string[];
  reason?: string;
  actor?: string;
  dryRun?: boolean;
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

function render(report: ErasureReport): string {
  const table = new Table({ head: ['table', 'rows'], style: { head: [], border: [] } });
  for (const [name, rows] of Object.entries(report.rows)) table.push([name, rows]);
  const verb = report.dry_run ? 'would erase' : 'erased';
  return `${report.dry_run ? 'Dry run: ' : ''}${verb} client ${report.client_id}: ${Object.values(report.rows).reduce((a, b) => a + b, 0)} row(s) in ${Object.keys(report.rows).length} table(s), ${report.files.length} file(s)\n` +
    (Object.keys(report.rows).length > 0 ? table.toString() + '\n' : '') +
    (report.dry_run ? 'nothing was erased; run again without --dry-run to erase\n' : '');
}

/**
 * `bosco erase --client X --reason ..`: a departed client's data out of the workspace (GDPR erasure, or the end of a
 * contract): every table's rows in one transaction, then its raw and staged payloads and checkpoints. The client
 * must be gone from the config first, so no scheduled run fetches it again. The erasure is announced on the bus.
 */
export async function eraseCommand(options: EraseOptions): Promise<number> {
  const reason = options.reason?.trim();
  if (!reason && !options.dryRun) throw new BoscoError('USAGE', 'a reason is required for an erasure', { hint: 'add --reason "…" naming the request (e.g. the ticket); it goes in the erasure event' });
  const loaded = await loadConfig({ explicitPath: options.config });
  if (options.order?.length) return eraseOrdersCommand(loaded, { ...options, order: options.order }, reason);
  if (loaded.config.clients.some((c) => c.id === options.client)) {
    throw new BoscoError('USAGE', `client '${options.client}' is still in the config, so the next run would fetch its data again`, {
      hint: 'roll it back to legacy (bosco flags rollback), remove it from "clients" in the config, then erase',
    });
  }
  const warehouse = await openWarehouseWaiting(loaded);
  let report: ErasureReport;
  try {
    report = await eraseClient(warehouse, loaded.workspaceDir, options.client, { dryRun: Boolean(options.dryRun) });
  } finally {
    await warehouse.close();
  }
  if (Object.keys(report.rows).length === 0 && report.files.length === 0) {
    throw new BoscoError('UNKNOWN_CLIENT', `the workspace holds nothing of client '${options.client}'`, {
      hint: 'check the client id (ids are compared exactly, case included); nothing was erased',
    });
  }
  if (!report.dry_run) {
    const bus = openBus(loaded);
    try {
      const actor = options.actor ?? process.env.BOSCO_ACTOR ?? userInfo().username;
      await bus.publish(ERASURE_TOPIC, 'client.erased', { client_id: report.client_id, actor, reason, rows: report.rows, files: report.files.length, erased_at: new Date().toISOString() }, { orderingKey: report.client_id });
    } finally {
      await bus.close();
    }
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(options.format === 'json' ? JSON.stringify(report) + '\n' : render(report));
  return 0;
}

const ORDER_ID = /^gid:\/\/shopify\/Order\/\d+$/;

/**
 * `bosco erase --client X --order gid://shopify/Order/N …`: one person's orders out of the client's landed Shopify
 * payloads (a GDPR request names them), each day reloaded from the rewritten files so lineage stays true. The
 * metrics do not change. The event names how many orders, never which.
 */
async function eraseOrdersCommand(loaded: LoadedConfig, options: EraseOptions & { order: string[] }, reason: string | undefined): Promise<number> {
  const malformed = options.order.find((id) => !ORDER_ID.test(id));
  if (malformed !== undefined) {
    throw new BoscoError('USAGE', `--order '${malformed}' is not a Shopify order id`, { hint: 'give the order as gid://shopify/Order/<digits>, as Shopify and the landed payloads write it' });
  }
  const bus = openBus(loaded);
  let report: OrderErasureReport;
  try {
    report = await warehousePerUse(loaded).use((warehouse) =>
      eraseOrders({ config: loaded.config, workspaceDir: loaded.workspaceDir, warehouse, bus, runId: newRunId() }, options.client, options.order, { dryRun: Boolean(options.dryRun) }),
    );
    if (report.orders_found === 0) {
      throw new BoscoError('USAGE', `no landed Shopify payload of client '${options.client}' holds ${options.order.length === 1 ? 'that order' : 'any of those orders'}`, {
        hint: 'check the client id and the order ids (whole gid://shopify/Order/<digits>); nothing was changed',
      });
    }
    if (!report.dry_run) {
      const actor = options.actor ?? process.env.BOSCO_ACTOR ?? userInfo().username;
      await bus.publish(ERASURE_TOPIC, 'orders.erased', { client_id: report.client_id, actor, reason, orders: report.orders_found, files: report.files.length, erased_at: new Date().toISOString() }, { orderingKey: report.client_id });
    }
  } finally {
    await bus.close();
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(options.format === 'json'
    ? JSON.stringify(report) + '\n'
    : `${report.dry_run ? 'Dry run: would erase' : 'Erased'} ${report.orders_found} order(s) of ${report.client_id} from ${report.files.length} payload file(s)` +
      `${report.orders_not_found > 0 ? `; ${report.orders_not_found} named order(s) found in none` : ''}\n` +
      report.files.map((f) => `  ${f.file} (${f.side} ${f.date}${report.dry_run ? '' : ', reloaded'})\n`).join(''));
  return 0;
}
