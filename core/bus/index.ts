import { join } from 'node:path';
import type { LoadedConfig } from '../config.js';
import { LocalEventLog } from './local/local-event-log.js';
import type { EventBus } from './types.js';

export type { BusEvent, ConsumeOptions, ConsumeSummary, Delivery, EventBus, PublishOptions } from './types.js';

/** Opens the event bus: the workspace's local event log, the embedded default. The one place that knows the vendors. */
export function openBus(loaded: Pick<LoadedConfig, 'workspaceDir'>): EventBus {
  return new LocalEventLog(join(loaded.workspaceDir, 'events'));
}
