import type { SourceEntry } from '../core/config.js';
import { LEGACY_EXPORT_TABLE } from '../legacy-adapter/legacy-schema.js';
import { NEW_METRICS_TABLE } from '../reconcile/demo-workspace.js';

/** With no sources configured, reconcile the workspace's own tables: the legacy export against the new rows. */
export function defaultSources(): { legacy: SourceEntry; new: SourceEntry } {
  return {
    legacy: { uri: `warehouse:${LEGACY_EXPORT_TABLE}`, mapping: 'bosco_legacy_v1' },
    new: `warehouse:${NEW_METRICS_TABLE}`,
  };
}
