import type { PartitionKey } from '../landing/raw-landing.js';

/** What one check says about a partition: fine, worth a look, or not to be loaded. */
export type CheckOutcome = 'pass' | 'warn' | 'quarantine';

/** A partition's verdict: `quarantined` is not loaded; `warn` is loaded and reported. */
export type QualityStatus = 'pass' | 'warn' | 'quarantined';

/** Most offenders a check lists: enough to find the cause, few enough to store with every partition. */
export const SAMPLE_SIZE = 5;

/** One check's result on one partition. */
export interface QualityCheck {
  /** Stable name: `payload.schema`, `payload.drift`, `rows.<rule>`, `volume.rows`, `volume.spend`. */
  check: string;
  outcome: CheckOutcome;
  /** Offending rows, fields or pages; 0 when the check passed. */
  count: number;
  /** One line for a person. */
  message: string;
  /** Up to `SAMPLE_SIZE` offenders, as plain JSON. */
  sample: Array<Record<string, unknown>>;
}

/** A partition's quality result, as the load step stores it per partition and emits it as an event. */
export interface PartitionQuality extends PartitionKey {
  status: QualityStatus;
  /** Why it is not `pass`: the first quarantining check's message, else the first warning's; null on pass. */
  reason: string | null;
  checks: QualityCheck[];
}

/** The partition's status from its checks: any quarantine quarantines it, else any warning warns. */
export function partitionQuality(key: PartitionKey, checks: readonly QualityCheck[]): PartitionQuality {
  const blocking = checks.find((check) => check.outcome === 'quarantine');
  const warning = checks.find((check) => check.outcome === 'warn');
  const status: QualityStatus = blocking ? 'quarantined' : warning ? 'warn' : 'pass';
  return { date: key.date, platform: key.platform, clientId: key.clientId, status, reason: (blocking ?? warning)?.message ?? null, checks: [...checks] };
}
