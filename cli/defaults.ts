import type { SourceEntry } from '../core/config.js';
import { LEGACY_EXPORT_TABLE } from '../legacy-adapter/legacy-schema.js';
import { SHADOW_TABLES } from '../shadow/shadow-tables.js';

/** With no sources configured, reconcile the workspace's own tables: the legacy export against the shadow run's rows. */
export function defaultSources(): { legacy: SourceEntry; new: SourceEntry } {
  return {
    legacy: { uri: `warehouse:${LEGACY_EXPORT_TABLE}`, mapping: 'bosco_legacy_v1' },
    new: `warehouse:${SHADOW_TABLES.metricRows}`,
  };
}
