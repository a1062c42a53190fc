import { join } from 'node:path';
import { configDir, type LoadedConfig } from '../config.js';
import { LocalEventLog } from './local/local-event-log.js';
import { PubSubBus } from './pubsub/pubsub-bus.js';
import type { EventBus } from './types.js';

export type { BusEvent, ConsumeOptions, ConsumeSummary, Delivery, EventBus, PublishOptions } from './types.js';

/**
 * Opens the event bus as the config's `bus.kind` says: the workspace's local event log (the default, also when no
 * config is given) or Pub/Sub, whose client is loaded and connected only on first use. The one place that knows
 * the vendors.
 */
export function openBus(loaded: Pick<LoadedConfig, 'workspaceDir'> & Partial<Pick<LoadedConfig, 'config' | 'file'>>, env: NodeJS.ProcessEnv = process.env): EventBus {
  const settings = loaded.config?.bus ?? { kind: 'local' };
  switch (settings.kind) {
    case 'local':
      return new LocalEventLog(join(loaded.workspaceDir, 'events'));
    case 'pubsub':
      return PubSubBus.fromConfig(settings, configDir(loaded), env);
  }
}
