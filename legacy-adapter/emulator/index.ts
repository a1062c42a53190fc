/** The legacy system emulator: the old pipeline, pulling the platforms' APIs and writing `legacy_export.daily_stats`. */
export { runLegacyDay, type LegacyClient, type LegacyClientOutcome, type LegacyDaySummary, type LegacyRunRequest } from './legacy-emulator.js';
export { fxRateLookup, type FxRate, type FxRateLookup } from './legacy-fx.js';
export type { LegacyHttpOptions } from './legacy-http.js';
export { LegacyQuirksSchema, PIXEL_PURCHASE_ACTION, type LegacyQuirks, type QuirkScope } from './legacy-quirks.js';
export type { LegacyTarget } from './stores/index.js';
