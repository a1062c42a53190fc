/** A client's migration stage, in the order a client moves through them. */
export const STAGES = ['legacy', 'shadow', 'live', 'complete'] as const;
export type Stage = (typeof STAGES)[number];

/** A client's stage as the store holds it, with the version a write must name to replace it. */
export interface StageRecord {
  clientId: string;
  stage: Stage;
  /** Changes on every write; a write naming an older version is refused, so two operators cannot overwrite each other. */
  version: string;
}

export interface StageChange {
  clientId: string;
  stage: Stage;
  /** The version the writer read; undefined when the writer believes the client has no stage yet. */
  expectedVersion: string | undefined;
}

/**
 * Where clients' migration stages live: Unleash in production, a file in the workspace by default. Reads are of
 * the last known stages (a store that cannot reach its server serves its backup); writes are compare-and-set.
 */
export interface StageStore {
  /** The client's stage; undefined when the store has none for it (the client is then `legacy`). */
  get(clientId: string): Promise<StageRecord | undefined>;
  list(): Promise<StageRecord[]>;
  /** Writes the stage if the client's version is still `expectedVersion`; else throws a FLAG_CONFLICT BoscoError. */
  set(change: StageChange): Promise<StageRecord>;
  close(): Promise<void>;
}
