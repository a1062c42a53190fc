import { diff, type IChange } from 'json-diff-ts';
import pc from 'picocolors';
import type { Difference } from '../types.js';
import { differenceKey, formatDelta, formatNumber } from './format.js';

function changeLines(changes: IChange[], color: ReturnType<typeof pc.createColors>): string[] {
  return changes.map((change) => {
    const before = change.oldValue as number | null | undefined;
    const after = change.value as number | null | undefined;
    const delta = typeof before === 'number' && typeof after === 'number' ? ` (${formatDelta(Math.round((after - before) * 1e6) / 1e6)})` : '';
    if (change.type === 'UPDATE') return color.yellow(`  ~ ${change.key}: ${formatNumber(before ?? null)} → ${formatNumber(after ?? null)}${delta}`);
    if (change.type === 'ADD') return color.green(`  + ${change.key}: ${formatNumber(after ?? null)}`);
    return color.red(`  - ${change.key}: ${formatNumber(before ?? null)}`);
  });
}

/**
 * Row-level differences grouped by row: for each row, the legacy and new values of the metrics that differ,
 * diffed field by field so a reader sees at once what changed and by how much.
 */
export function renderDrillDown(differences: readonly Difference[], useColor: boolean): string {
  const color = pc.createColors(useColor);
  const byRow = new Map<string, Difference[]>();
  for (const difference of differences) {
    const key = differenceKey(difference);
    byRow.set(key, [...(byRow.get(key) ?? []), difference]);
  }
  const lines: string[] = [];
  for (const [key, rows] of byRow) {
    lines.push(color.bold(key));
    const legacy: Record<string, number | null> = {};
    const next: Record<string, number | null> = {};
    for (const difference of rows) {
      if (difference.kind === 'missing_in_new') lines.push(color.red('  - only in legacy (missing in new)'));
      else if (difference.kind === 'missing_in_legacy') lines.push(color.green('  + only in new (missing in legacy)'));
      else if (difference.kind === 'duplicate_key') lines.push(color.magenta(`  ! key appears ${difference.legacy}× in legacy and ${difference.new}× in new`));
      else if (difference.metric) {
        legacy[difference.metric] = difference.legacy;
        next[difference.metric] = difference.new;
      }
    }
    if (Object.keys(legacy).length > 0) lines.push(...changeLines(diff(legacy, next), color));
  }
  return lines.join('\n');
}
