/** A row of `legacy_export.daily_stats` as the legacy loader writes it (see `legacy-schema.ts`). */
export interface LegacyExportRow {
  client_ref: string;
  /** The day at midnight UTC, `YYYY-MM-DD 00:00:00`: legacy days are UTC days. */
  stat_ts: string;
  /** Platform code: GADS, FB, GA4, SHOP, TT. */
  src: string;
  account_ref: string;
  campaign_ref: string;
  /** ISO 4217 code of cost and revenue. */
  ccy: string;
  cost_micros: number | null;
  impr: number | null;
  clk: number | null;
  conv: number;
  rev_micros: number;
}

/** The export's columns in table order. */
export const LEGACY_EXPORT_COLUMNS = ['client_ref', 'stat_ts', 'src', 'account_ref', 'campaign_ref', 'ccy', 'cost_micros', 'impr', 'clk', 'conv', 'rev_micros'] as const;

/** Where the legacy loader writes: one adapter per backend in this folder, picked in `index.ts`. */
export interface LegacyStore {
  /** The table as a source URI the reconciler reads (`--legacy`), without a password. */
  readonly sourceUri: string;
  /** Creates the export table when missing; an existing one is left as it is. */
  prepare(): Promise<void>;
  /**
   * The legacy loader's delete-then-insert: deletes the client's rows of the day, then sends `inserts` in order, one
   * INSERT per entry, all in one transaction per client (clients are not atomic with each other). The table has no
   * unique key, as the legacy one had none: an entry sent twice lands twice.
   */
  replaceClientDay(clientId: string, date: string, inserts: ReadonlyArray<readonly LegacyExportRow[]>): Promise<void>;
  close(): Promise<void>;
}

/** A day as the export stores it: midnight UTC. */
export const statTimestamp = (date: string) => `${date} 00:00:00`;
