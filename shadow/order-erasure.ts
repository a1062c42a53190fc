import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { EventBus } from '../core/bus/index.js';
import type { BoscoConfig } from '../core/config.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { loadDay, transformDay } from '../new-pipeline/run/run-pipeline.js';
import { SERVING_TABLES, type PipelineTables } from '../new-pipeline/load/pipeline-tables.js';
import { dayOfFolder } from './workspace-data.js';
import { partitionPath, rawRoot, readLandedPartition } from '../new-pipeline/landing/raw-landing.js';
import { SHADOW_NAMESPACE, SHADOW_TABLES } from './shadow-tables.js';

/** What an erased order keeps in place of its id and display name: valid for the payload schema, naming no order. */
export const ERASED_ORDER_ID = 'gid://shopify/Order/0';
export const ERASED_TEXT = '[erased]';

/** The part of a landed page an order lives in: `body.data.orders.edges` of an orders answer. */
interface LandedOrdersPage {
  body?: { data?: { orders?: { edges?: Array<{ cursor?: unknown; node?: { id?: unknown; name?: unknown } }> } } };
}

function scrub(value: unknown, cursors: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return cursors.has(value) ? ERASED_TEXT : value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, cursors));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item, cursors)]));
  return value;
}

/**
 * Pseudonymises the named orders in one landed Shopify partition's lines (header, then pages): each keeps its
 * creation time, amount and UTM fields, which the metrics come from, and loses its id and display name; its paging
 * cursor (which encodes the order) is replaced wherever it appears: the edge, the page's `endCursor`, the next
 * request's `after`. Returns new lines and the ids found. Pure.
 */
export function pseudonymiseOrders(lines: readonly unknown[], orderIds: ReadonlySet<string>): { lines: unknown[]; erased: string[] } {
  const cursors = new Set<string>();
  const erased: string[] = [];
  const copies = lines.map((line) => structuredClone(line));
  for (const line of copies) {
    const edges = (line as LandedOrdersPage | null)?.body?.data?.orders?.edges;
    if (!Array.isArray(edges)) continue;
    for (const edge of edges) {
      const id = edge.node?.id;
      if (typeof id !== 'string' || !orderIds.has(id)) continue;
      erased.push(id);
      if (typeof edge.cursor === 'string') cursors.add(edge.cursor);
      edge.node = { ...edge.node, id: ERASED_ORDER_ID, name: ERASED_TEXT };
    }
  }
  return { lines: cursors.size > 0 ? copies.map((line) => scrub(line, cursors)) : copies, erased };
}

export interface OrderErasureReport {
  client_id: string;
  dry_run: boolean;
  /** How many of the named orders were found (each counted once). */
  orders_found: number;
  /** Named orders no landed payload of the client holds. */
  orders_not_found: number;
  /** Rewritten payload files, relative to the workspace, with the side and day reloaded from each. */
  files: Array<{ file: string; side: 'serving' | 'shadow'; date: string }>;
}

/**
 * Erases named Shopify orders of one client from its landed raw payloads (serving and shadow side): each file that
 * holds one is rewritten whole (written beside and renamed), then its day is transformed and loaded again from it,
 * so lineage names the file as it now is. The metrics come out the same: an order's amount, time and campaign stay.
 */
export async function eraseOrders(
  context: { config: BoscoConfig; workspaceDir: string; warehouse: Warehouse; bus: EventBus; runId: string },
  clientId: string,
  orderIds: readonly string[],
  options: { dryRun: boolean },
): Promise<OrderErasureReport> {
  const wanted = new Set(orderIds);
  const found = new Set<string>();
  const files: OrderErasureReport['files'] = [];
  for (const side of ['serving', 'shadow'] as const) {
    const namespace = side === 'serving' ? undefined : SHADOW_NAMESPACE;
    const root = rawRoot(context.workspaceDir, namespace);
    if (!existsSync(root)) continue;
    for (const date of readdirSync(root).flatMap((name) => dayOfFolder(name) ?? []).sort()) {
      const path = partitionPath(context.workspaceDir, { date, platform: 'shopify', clientId }, namespace);
      if (!existsSync(path)) continue;
      const { header, pages } = readLandedPartition(path);
      const result = pseudonymiseOrders([header, ...pages], wanted);
      if (result.erased.length === 0) continue;
      result.erased.forEach((id) => found.add(id));
      files.push({ file: path.slice(context.workspaceDir.length + 1), side, date });
      if (options.dryRun) continue;
      writeFileSync(`${path}.tmp`, gzipSync(result.lines.map((line) => JSON.stringify(line)).join('\n') + '\n'));
      renameSync(`${path}.tmp`, path);
    }
  }
  if (!options.dryRun) {
    for (const { side, date } of files) {
      const tables: PipelineTables = side === 'serving' ? SERVING_TABLES : SHADOW_TABLES;
      const run = { ...context, tables };
      const filter = { clients: [clientId], platforms: ['shopify' as const] };
      await transformDay(run, date, filter);
      await loadDay(run, date, filter);
    }
  }
  return { client_id: clientId, dry_run: options.dryRun, orders_found: found.size, orders_not_found: wanted.size - found.size, files };
}
