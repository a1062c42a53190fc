import { join } from 'node:path';
import type { LoadedConfig } from '../core/config.js';
import { LocalStageStore } from './local/local-stage-store.js';
import type { StageStore } from './types.js';

export type { Stage, StageChange, StageRecord, StageStore } from './types.js';

/** Opens the clients' stage store as the config says. The one place that knows the vendors. */
export async function openStageStore(loaded: Pick<LoadedConfig, 'workspaceDir'>): Promise<StageStore> {
  return new LocalStageStore(join(loaded.workspaceDir, 'flags', 'stages.json'));
}
