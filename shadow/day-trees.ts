import { join } from 'node:path';
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
