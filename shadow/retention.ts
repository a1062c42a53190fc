import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RetentionSettings } from '../core/config.js';
import { addDays } from '../core/dates.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { dayOfFolder, dayTrees, deleteRows, type DayTreeKind } from './workspace-data.js';
import { LEGACY_SNAPSHOT_ROWS_TABLE, LEGACY_SNAPSHOT_TABLE, SNAPSHOTS_TABLE } from './shadow-tables.js';

/** Per kind of data, the first day kept: anything of an earlier day goes. */
export interface RetentionCutoffs {
  raw: string;
  staged: string;
  snapshots: string;
  checkpoints: string;
}

/** The first day each kind keeps, counted back from `today` (which counts as kept: `rawDays: 1` keeps today only). */
export function retentionCutoffs(today: string, settings: RetentionSettings): RetentionCutoffs {
  return {
    raw: addDays(today, -(settings.rawDays - 1)),
    staged: addDays(today, -(settings.stagedDays - 1)),
    snapshots: addDays(today, -(settings.snapshotDays - 1)),
    checkpoints: addDays(today, -(settings.checkpointDays - 1)),
  };
}

/** The days of `date=YYYY-MM-DD` folders that fall before `cutoff`. */
export function expiredDays(folderNames: readonly string[], cutoff: string): string[] {
  return folderNames.flatMap((name) => {
    const day = dayOfFolder(name);
    return day !== undefined && day < cutoff ? [day] : [];
  });
}

const SNAPSHOT_TABLES = [LEGACY_SNAPSHOT_ROWS_TABLE, SNAPSHOTS_TABLE, LEGACY_SNAPSHOT_TABLE];

export interface RetentionReport {
  today: string;
  dry_run: boolean;
  cutoffs: RetentionCutoffs;
  /** Per kind of file, the day folders (over both sides) and files that went, or would go. */
  files: Record<DayTreeKind, { days: number; files: number }>;
  /** Snapshot rows that went, or would go, per table. */
  rows: Record<string, number>;
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1), 0);
}

/**
 * Deletes what the workspace keeps past its retention: day folders of raw payloads, staged partitions and
 * checkpoints, and legacy snapshot rows, of days before each cutoff. The rows go in one transaction, then the
 * folders; a rerun finishes what a failure left. Reconcile history, lineage and the audit log are kept: they are the
 * evidence, and small.
 */
export async function applyRetention(warehouse: Warehouse, workspaceDir: string, settings: RetentionSettings, today: string, options: { dryRun: boolean }): Promise<RetentionReport> {
  const cutoffs = retentionCutoffs(today, settings);
  const cutoffOf: Record<DayTreeKind, string> = { raw: cutoffs.raw, staged: cutoffs.staged, checkpoints: cutoffs.checkpoints };
  const folders: string[] = [];
  const files = {} as RetentionReport['files'];
  for (const [kind, roots] of Object.entries(dayTrees(workspaceDir)) as Array<[DayTreeKind, string[]]>) {
    files[kind] = { days: 0, files: 0 };
    for (const root of roots.filter((r) => existsSync(r))) {
      for (const day of expiredDays(readdirSync(root), cutoffOf[kind])) {
        const folder = join(root, `date=${day}`);
        folders.push(folder);
        files[kind].days++;
        files[kind].files += countFiles(folder);
      }
    }
  }
  const selections = SNAPSHOT_TABLES.map((table) => ({ table, column: 'date', where: 'date < CAST(? AS DATE)', params: [cutoffs.snapshots] }));
  const rows = await deleteRows(warehouse, selections, options.dryRun);
  if (!options.dryRun) for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  return { today, dry_run: options.dryRun, cutoffs, files, rows };
}
