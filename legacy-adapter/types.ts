import type { ColumnInfo, Warehouse } from '../core/warehouse/index.js';

/** What a reader needs to make one source readable in the warehouse. */
export interface StageRequest {
  warehouse: Warehouse;
  uri: string;
  /** The session-scoped relation to create. */
  relation: string;
  /** Source columns the mapping reads; readers that must copy data copy only these. */
  columns: readonly string[];
  /** Folder for short-lived files (e.g. a PostgreSQL COPY stream on its way into the warehouse). */
  scratchDir: string;
  /** Hints a reader may use to read less: rows outside them are filtered out afterwards anyway. */
  pushdown?: { dateColumn?: string; date?: string; clientColumn?: string; clientId?: string };
}

export interface StagedRaw {
  /** The source's columns as staged. */
  columns: ColumnInfo[];
  /** How messages name this source: a path or a URI without secrets. */
  label: string;
}

/**
 * A source port: one adapter per kind of legacy store or file. Adapters are picked by URI in `sources/index.ts`.
 */
export interface SourceReader {
  readonly name: string;
  readonly description: string;
  matches(uri: string): boolean;
  stage(request: StageRequest): Promise<StagedRaw>;
}
