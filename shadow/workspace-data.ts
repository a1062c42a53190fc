import { join } from 'node:path';
import type { SqlValue, Warehouse } from '../core/warehouse/index.js';
import { rawRoot } from '../new-pipeline/landing/raw-landing.js';
import { stagedRoot } from '../new-pipeline/run/staged-partition.js';
import { SHADOW_NAMESPACE } from './shadow-tables.js';

/** What a workspace folder laid out by day (`date=YYYY-MM-DD/…`) holds. */
export type DayTreeKind = 'raw' | 'staged' | 'checkpoints';

/** The workspace's folders laid out by day, serving and shadow side, by what they hold. */
export function dayTrees(workspaceDir: string): Record<DayTreeKind, string[]> {
  return {
    raw: [rawRoot(workspaceDir), rawRoot(workspaceDir, SHADOW_NAMESPACE)],
    staged: [stagedRoot(workspaceDir), stagedRoot(workspaceDir, SHADOW_NAMESPACE)],
    checkpoints: [join(workspaceDir, 'shadow', 'checkpoints')],
  };
}

/** The day a `date=YYYY-MM-DD` folder of a day tree holds; undefined for any other name. */
export function dayOfFolder(name: string): string | undefined {
  return /^date=(\d{4}-\d{2}-\d{2})$/.exec(name)?.[1];
}

/** Rows of one table to delete: those matching `where` (SQL with `?` placeholders) and its `params`. */
export interface RowSelection {
  table: string;
  /** A column `where` needs: a table without it (an older or foreign one) holds nothing to delete. */
  column: string;
  where: string;
  params: readonly SqlValue[];
}

/**
 * Counts the rows each selection matches and, unless `dryRun`, deletes them all in one transaction: every table's
 * rows go, or none do. Tables that do not exist are skipped. Returns the rows per table that held any.
 */
export async function deleteRows(warehouse: Warehouse, selections: readonly RowSelection[], dryRun: boolean): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  const matched: RowSelection[] = [];
  for (const selection of selections) {
    if (!(await warehouse.describe(selection.table)).some((c) => c.name === selection.column)) continue;
    const [counted] = await warehouse.query(`SELECT count(*) AS n FROM ${selection.table} WHERE ${selection.where}`, selection.params);
    const n = Number(counted?.n ?? 0);
    if (n === 0) continue;
    rows[selection.table] = n;
    matched.push(selection);
  }
  if (!dryRun && matched.length > 0) {
    await warehouse.transaction(async () => {
      for (const selection of matched) await warehouse.run(`DELETE FROM ${selection.table} WHERE ${selection.where}`, selection.params);
    });
  }
  return rows;
}
