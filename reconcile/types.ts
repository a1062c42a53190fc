/** How far apart two values may be and still match: |new − legacy| ≤ max(abs, rel × |legacy|). */
export interface Tolerance {
  abs: number;
  rel: number;
}

/** What is compared: the key that pairs rows, and the metrics compared on each pair. */
export interface ComparisonSpec {
  keys: readonly string[];
  /** The key column that names the client (reports roll up per client). */
  clientKey: string;
  metrics: readonly string[];
  /**
   * Per metric, the columns holding each side's interval around its value (forecasts: the prediction interval).
   * A metric listed here also matches when either side's value lies inside the other side's interval, bounds
   * included; a NULL bound never holds a value. Default: none, so values match by tolerance alone.
   */
  intervals?: Readonly<Record<string, IntervalColumns>>;
}

/** The columns of one metric's interval. */
export interface IntervalColumns {
  lower: string;
  upper: string;
}

/** Tolerances per metric, with per-client overrides. */
export interface ToleranceTable {
  defaults: Record<string, Tolerance>;
  clients: Record<string, Record<string, Tolerance>>;
}

export type Status = 'pass' | 'fail';
export type DifferenceKind = 'missing_in_new' | 'missing_in_legacy' | 'value_mismatch' | 'duplicate_key';

export interface RowCounts {
  legacy: number;
  new: number;
  matched: number;
  missing_in_new: number;
  missing_in_legacy: number;
  /** Keys present more than once on either side; a key present twice counts once. */
  duplicate_keys: number;
}

export interface MetricResult {
  metric: string;
  legacy_total: number;
  new_total: number;
  delta: number;
  /** delta / |legacy_total|, or null when the legacy total is zero. */
  rel_delta: number | null;
  rows_mismatched: number;
  status: Status;
}

export interface ClientResult {
  client_id: string;
  status: Status;
  rows: RowCounts;
  metrics: MetricResult[];
}

export interface Difference {
  client_id: string;
  date: string;
  platform: string;
  account_id: string;
  campaign_id: string;
  kind: DifferenceKind;
  /** The metric that differs (value_mismatch), else null. */
  metric: string | null;
  /** value_mismatch: each side's value; duplicate_key: each side's number of rows with the key; else null. */
  legacy: number | null;
  new: number | null;
}

/** The reconcile JSON contract (see the README). */
export interface ReconcileReport {
  run_id: string;
  date: string;
  status: Status;
  clients: ClientResult[];
  differences?: Difference[];
}
